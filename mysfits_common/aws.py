"""boto3 clients with the timeouts and retries every service here uses.

The endpoint, region and credentials come from boto3's standard configuration (AWS_ENDPOINT_URL,
AWS_REGION / AWS_DEFAULT_REGION, the credentials chain), so code never knows whether it talks to
moto, LocalStack or AWS.
"""

from __future__ import annotations

import threading
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


# One boto3 session for the process, so botocore parses its data files (the endpoint rules, each
# service's model) once, not once per client: a session of its own for each client cost about
# 0.15 s of CPU a client. A session is not thread-safe and the clients it makes are, so clients
# are made under a lock. The session resolves the credential chain and reads the shared config
# file once, on its first client; region and endpoint variables are read at every client.
_session: boto3.session.Session | None = None
_lock = threading.Lock()


def _shared_session() -> boto3.session.Session:
    global _session
    if _session is None:
        _session = boto3.session.Session()
    return _session


def client(service_name: str, *, long_poll: bool = False, **options: Any) -> Any:
    """A new boto3 client for `service_name`; never called at import time. ``options`` are boto3's
    (``region_name``, ``endpoint_url``, ``config``: ours, for a long poll with ``long_poll``, unless
    given; ``None`` for botocore's)."""
    options.setdefault("config", _LONG_POLL_CONFIG if long_poll else _CONFIG)
    with _lock:
        return _shared_session().client(service_name, **options)


def preload(*service_names: str) -> None:
    """Parses what a client of each service needs, without resolving credentials or connecting:
    a process forked after this (a gunicorn worker) makes its clients without parsing again."""
    with _lock:
        session = _shared_session()
        for service_name in service_names:
            # Explicit credentials and region: the credential chain is not asked, nothing is sent.
            session.client(
                service_name, region_name="us-east-1", aws_access_key_id="preload", aws_secret_access_key="preload"
            )
