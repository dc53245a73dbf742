"""How the command-line tools report, all the same way.

Progress goes to stderr as ``<tool> <LEVEL> <message>``, with any ``extra`` fields of the record
appended as ``key=value`` (a failure reason passed in ``extra`` is never lost). An expected failure
(a refused deploy, a stack error, a bad template, AWS unreachable or refusing) is one line on
stderr, ``<tool> failed: <why>``, and exit code 1; the tool never shows a traceback for it.
Exit code 2 is left to "cannot start" (bad arguments, no credentials, not confirmed).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from deploy.errors import DeployFailure
from deploy.stacks import DeployError
from deploy.templates import TemplateError

__all__ = ["EXPECTED_FAILURES", "configure_command_logging", "report_failures"]

#: What a tool reports in one line; anything else is a bug and keeps its traceback.
EXPECTED_FAILURES: tuple[type[BaseException], ...] = (
    DeployFailure,
    DeployError,
    TemplateError,
    ClientError,
    BotoCoreError,
    TimeoutError,
)
# Attributes every LogRecord has; the rest came from ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class _CommandFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = {key: value for key, value in record.__dict__.items() if key not in _STANDARD}
        if extras:
            text += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return text


def configure_command_logging(tool: str, level: int = logging.INFO) -> None:
    """Log lines of ``tool`` to stderr; botocore's own chatter stays at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_CommandFormatter(f"{tool} %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def report_failures(tool: str, action: Callable[[], object]) -> int:
    """Run ``action``: exit code 0 when it returns; an expected failure becomes one line on stderr,
    ``<tool> failed: <why>``, and exit code 1."""
    try:
        action()
    except EXPECTED_FAILURES as error:
        sys.stderr.write(f"{tool} failed: {error}\n")
        return 1
    return 0
