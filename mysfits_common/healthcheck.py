"""Container health checks: ``python -m mysfits_common.healthcheck [--url URL]``.

Without ``--url`` (the workers): healthy while ``WORKER_HEALTH_FILE`` is fresh and empty. The
consumer loop writes it on every poll, so a file older than a long poll plus a slow batch means
the loop is stuck, not merely idle; a file that says something is a problem the loop reports (the
monolith refuses its fulfil secret: on ECS the task is then replaced, and reads the secret anew).
With ``--url`` (the monolith): healthy when the URL answers 200.

Exit code 0 is healthy, 1 unhealthy (what Docker's HEALTHCHECK and ECS's healthCheck expect). The
slim images have no curl, hence Python; it imports nothing beyond the standard library (and
``mysfits_common.settings``, which imports nothing else either).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mysfits_common.settings import SettingError, number

__all__ = ["DEFAULT_MAX_AGE_SECONDS", "check_health_file", "check_url", "main"]

#: A 20 s long poll plus a batch that the heartbeat keeps alive: two minutes of silence is stuck.
DEFAULT_MAX_AGE_SECONDS = 120.0


def check_health_file(path: str | os.PathLike[str], max_age: float, now: Callable[[], float] = time.time) -> str | None:
    """None when ``path`` was modified within ``max_age`` seconds, else why not."""
    try:
        age = now() - Path(path).stat().st_mtime
    except OSError as exc:
        return f"health file {path} unreadable: {exc.strerror or exc}"
    if age > max_age:
        return f"health file {path} is {age:.0f} s old (limit {max_age:.0f} s): the consumer loop is not polling"
    try:
        problem = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        return f"health file {path} unreadable: {exc.strerror or exc}"
    return problem or None


def check_url(url: str, timeout: float) -> str | None:
    """None when ``url`` answers 200 within ``timeout`` seconds, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        return f"{url} did not answer: {exc}"
    return None if status == 200 else f"{url} answered {status}"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    try:
        default_max_age = number(env, "WORKER_HEALTH_MAX_AGE", DEFAULT_MAX_AGE_SECONDS)
    except SettingError as error:
        sys.stderr.write(f"unhealthy: {error}\n")
        return 1
    parser = argparse.ArgumentParser(prog="python -m mysfits_common.healthcheck", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="check that this URL answers 200 instead of the worker's health file")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for --url (default 3)")
    parser.add_argument(
        "--max-age",
        type=float,
        default=default_max_age,
        help="seconds the health file may be old (default WORKER_HEALTH_MAX_AGE or 120)",
    )
    args = parser.parse_args(argv)

    if args.url:
        problem = check_url(args.url, args.timeout)
    else:
        health_file = env.get("WORKER_HEALTH_FILE", "")
        if not health_file:
            problem = "WORKER_HEALTH_FILE is not set: nothing to check"
        else:
            problem = check_health_file(health_file, args.max_age)
    if problem:
        sys.stderr.write(f"unhealthy: {problem}\n")  # Docker and ECS keep this as the check's output
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
