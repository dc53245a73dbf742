"""How every command-line tool reports (``python -m deploy.*``, ``ops``, ``bench``, ``monolith.seed``).

Progress goes to stderr as ``<tool> <LEVEL> <message>``, with any ``extra`` fields of the record
appended as ``key=value`` (a failure reason passed in ``extra`` is never lost). An expected failure
is one line on stderr, ``<tool> failed: <why>``, never a traceback, and an exit code a script can
rely on; anything else is a bug and keeps its traceback:

==  =====================================================================
0   done
1   the operation failed (the line says where)
2   bad usage or configuration (arguments, no region, a setting that cannot be used)
3   a stack the command needs is missing
4   no credentials, or credentials refused
5   the endpoint is unreachable
6   refused (not confirmed, or a guarded action on a target it protects)
==  =====================================================================

This module knows boto3's failures and settings; :mod:`deploy.cli` says how the deploy tools' own
failures read, for the tools that deploy or read stacks (``deploy``, ``ops``, ``bench``) to pass to
:func:`report_failures`. It lives here so that an image without ``deploy/`` (the monolith's, which
can run the seed) has it.
"""

from __future__ import annotations

import enum
import json
import logging
import sys
from collections.abc import Callable

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from mysfits_common.settings import SettingError

__all__ = [
    "EXPECTED_FAILURES",
    "CommandError",
    "Exit",
    "configure_command_logging",
    "explain",
    "report_failures",
]


class Exit(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    MISSING_STACK = 3
    CREDENTIALS = 4
    UNREACHABLE = 5
    REFUSED = 6


class CommandError(Exception):
    """An expected failure: ``str(error)`` is the line the user reads."""

    def __init__(self, message: str, code: Exit = Exit.FAILED) -> None:
        super().__init__(message)
        self.code = code


#: What any tool reports in one line.
EXPECTED_FAILURES: tuple[type[BaseException], ...] = (
    CommandError,
    SettingError,
    ClientError,
    BotoCoreError,
    TimeoutError,
)
_CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
}


def explain(error: BaseException, *, unavailable: tuple[type[BaseException], ...] = ()) -> CommandError:
    """The user's reading of an expected failure: a line and an exit code. An error of
    ``unavailable`` (an adapter's "a dependency is unavailable") is read as its cause when that is
    an expected failure (it says what failed: unreachable, credentials refused), else exit 5."""
    if isinstance(error, CommandError):
        return error
    if isinstance(error, unavailable):
        if isinstance(error.__cause__, EXPECTED_FAILURES):
            return explain(error.__cause__)
        return CommandError(f"unavailable, try again later: {error}", Exit.UNREACHABLE)
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return CommandError(f"no AWS credentials: {error}", Exit.CREDENTIALS)
    if isinstance(error, SettingError):
        return CommandError(str(error), Exit.USAGE)
    if isinstance(error, NoRegionError):
        return CommandError("no AWS region: set AWS_REGION or AWS_DEFAULT_REGION", Exit.USAGE)
    if isinstance(error, ProfileNotFound):
        return CommandError(f"{error}: check AWS_PROFILE or --profile", Exit.USAGE)
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return CommandError(f"endpoint unreachable: {error}", Exit.UNREACHABLE)
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = str(details.get("Code", "")), str(details.get("Message", error))
        if code in _CREDENTIAL_CODES:
            return CommandError(f"credentials refused ({code}): {message}", Exit.CREDENTIALS)
        return CommandError(f"{code}: {message}")
    if isinstance(error, EXPECTED_FAILURES):
        return CommandError(str(error))
    return CommandError(f"{type(error).__name__}: {error}")


# Attributes every LogRecord has; the rest came from ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class _CommandFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = {key: value for key, value in record.__dict__.items() if key not in _STANDARD}
        if extras:
            text += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return text


def configure_command_logging(tool: str, level: int = logging.INFO, *, timestamps: bool = False) -> None:
    """Log lines of ``tool`` to stderr (``timestamps``: each starts with the time, for long runs);
    botocore's own chatter stays at WARNING."""
    prefix = "%(asctime)s " if timestamps else ""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_CommandFormatter(f"{prefix}{tool} %(levelname)s %(message)s", datefmt="%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def report_failures(
    tool: str,
    action: Callable[[], object],
    *,
    expected: tuple[type[BaseException], ...] = EXPECTED_FAILURES,
    explained: Callable[[BaseException], CommandError] = explain,
    note: str = "",
    as_json: bool = False,
) -> int:
    """Run ``action``: exit code 0 when it returns; an ``expected`` failure becomes one line on stderr,
    ``<tool> failed: <why>`` (``explained``), with `` (<note>)`` after it when given (where to look
    next: a log directory), and its exit code. ``as_json``: the line is
    ``{"error": {"code": <exit code's name>, "message": <why>}}``, for a script."""
    try:
        action()
    except expected as error:
        failure = explained(error)
        if as_json:
            line = json.dumps({"error": {"code": failure.code.name.lower(), "message": str(failure)}})
        else:
            line = f"{tool} failed: {failure}{f' ({note})' if note else ''}"
        sys.stderr.write(f"{line}\n")
        return int(failure.code)
    return 0
