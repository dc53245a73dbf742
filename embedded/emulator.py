"""The local AWS emulator: moto's server, with one fidelity fix. Run as `python -m embedded.emulator`.

moto's server handles requests on many threads but its DynamoDB backend takes no lock, so two
concurrent conditional transactions can both pass their condition (seen here: two winners of one
adoption, and a lost marker write). Real DynamoDB serialises them per item. Serialising every
DynamoDB request restores that guarantee; SQS long polls and SNS are untouched and stay concurrent.
"""

from __future__ import annotations

import threading
from typing import Any

from moto import server
from moto.dynamodb.responses import DynamoHandler

_dynamodb_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self: DynamoHandler) -> Any:
    with _dynamodb_lock:
        return _call_action(self)


def main() -> None:
    DynamoHandler.call_action = _serialised_call_action  # type: ignore[method-assign]
    server.main()


if __name__ == "__main__":
    main()
