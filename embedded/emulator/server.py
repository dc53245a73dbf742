"""moto's HTTP front, made to cost the same for every request.

- moto's dispatcher finds the backend of every request by listing moto's package directory
  (``os.listdir`` and ``isdir`` of about 150 entries) and matching hundreds of URL patterns, under
  one lock that every request shares. The answer depends only on the host it derives from the
  request, so it is remembered per host.
- werkzeug logs a line per request: with a worker long-polling and a monolith publishing, that is
  most of what the emulator writes, and a lock every request thread contends for. Request lines
  are off unless ``EMULATOR_LOG_REQUESTS=1`` (:func:`quiet_request_log`, for the server process
  only: installing the fixes in a test process leaves its logging alone).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

__all__ = ["install", "quiet_request_log"]


def _remembered(get_backend_for_host: Callable[[Any, str | None], Any]) -> Callable[[Any, str | None], Any]:
    backends: dict[str | None, Any] = {}

    def remembered_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in backends:
            backends[host] = get_backend_for_host(self, host)
        return backends[host]

    return remembered_backend_for_host


def install() -> None:
    DomainDispatcherApplication.get_backend_for_host = _remembered(  # type: ignore[assignment,method-assign]
        DomainDispatcherApplication.get_backend_for_host
    )


def quiet_request_log(env: Mapping[str, str] = os.environ) -> None:
    """Log werkzeug's warnings only, not a line per request, unless ``EMULATOR_LOG_REQUESTS=1``."""
    if env.get("EMULATOR_LOG_REQUESTS") != "1":
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
