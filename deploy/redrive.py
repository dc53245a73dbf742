"""The old name of ``python -m ops redrive``, kept so that scripts that call it go on working.

    python -m deploy.redrive --queue like [--project mysfits] [--endpoint-url URL]
"""

from __future__ import annotations

from ops.cli import main as ops_main
from ops.redrive import RedriveQueues, queues_from_stack, redrive

__all__ = ["RedriveQueues", "main", "queues_from_stack", "redrive"]


def main(argv: list[str] | None = None) -> int:
    import sys

    return ops_main(["redrive", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
