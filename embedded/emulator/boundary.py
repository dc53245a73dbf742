"""An AWS request as the emulator's wrappers of moto's dispatcher see it, before moto does.

:mod:`~embedded.emulator.request_count` and :mod:`~embedded.emulator.faults` wrap
``DomainDispatcherApplication.__call__``. Both name a request as AWS bills and throttles it: by the
service of its signature's credential scope, and by its action, from ``X-Amz-Target`` (the JSON
protocols) or the form's ``Action`` (the query protocol).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

__all__ = ["AwsRequest", "Dispatch", "read_request", "replace_body"]

# moto's DomainDispatcherApplication.__call__: (self, environ, start_response) -> body
Dispatch = Callable[[DomainDispatcherApplication, dict[str, Any], Any], Iterable[bytes]]

_SCOPE = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")


@dataclass(frozen=True)
class AwsRequest:
    service: str  # the credential scope's service ("unsigned" without a signature)
    region: str
    access_key: str
    action: str  # "?" when neither X-Amz-Target nor the form names one
    body: bytes
    form: dict[str, list[str]]  # the query protocol's parameters; empty for a JSON protocol


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so that moto reads it as if nothing had."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def replace_body(environ: dict[str, Any], body: bytes) -> None:
    """Make moto read ``body`` instead of the request's."""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def read_request(environ: dict[str, Any]) -> AwsRequest:
    body = _read_body(environ)
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    access_key, region, service = scope.groups() if scope else ("", "", "unsigned")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    form: dict[str, list[str]] = {}
    if target:
        action = target.rsplit(".", 1)[-1]
    else:
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        action = form.get("Action", ["?"])[0]
    return AwsRequest(service, region, access_key, action, body, form)
