"""boto3 clients with the timeouts and retries every service here uses.

The endpoint, region and credentials come from boto3's standard configuration (AWS_ENDPOINT_URL,
AWS_REGION / AWS_DEFAULT_REGION, the credentials chain), so code never knows whether it talks to
moto, LocalStack or AWS.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# Short timeouts and few retries: a caller waiting on a dead dependency should get a 503 in
# seconds, not hang for botocore's default minute.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)
# Long polling holds the connection open for up to 20 s: the read timeout must outlast it.
_LONG_POLL_CONFIG = _CONFIG.merge(Config(read_timeout=30))


def client(service_name: str, *, long_poll: bool = False) -> Any:
    """A new boto3 client for `service_name`; never called at import time."""
    return boto3.session.Session().client(service_name, config=_LONG_POLL_CONFIG if long_poll else _CONFIG)
