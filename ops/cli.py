"""The command line of ``python -m ops``: arguments, output, and one line and an exit code per failure."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy.cli import EXPECTED_FAILURES, explain
from deploy.topology import QUEUES
from monolith.config import WORKER_STATUS_DIR
from mysfits_common.cli import CommandError, Exit, configure_command_logging, report_failures
from ops import catalogue, peek, status, switch
from ops.output import print_json, table
from ops.redrive import RedriveFailed, redrive
from ops.redrive import __doc__ as redrive_doc
from ops.target import Target

_REPO_STATUS_DIR = Path(__file__).resolve().parent.parent / ".run" / "status"
_CLEAR = "\x1b[H\x1b[2J"


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project",
        default="mysfits",
        help="prefix of the stacks {project}-data and {project}-messaging (default: mysfits)",
    )
    common.add_argument(
        "--endpoint-url",
        default=None,
        help="every service at this URL (an emulator); default: boto3's standard configuration",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return common


def _status_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status-dir",
        type=Path,
        default=Path(WORKER_STATUS_DIR.read(os.environ) or _REPO_STATUS_DIR),
        help="where local workers write their status files (default: WORKER_STATUS_DIR, else .run/status of make run)",
    )


def build_parser() -> argparse.ArgumentParser:
    from ops import __doc__ as overview

    parser = argparse.ArgumentParser(
        prog="python -m ops", description=overview, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    common = [_common()]

    def command(name: str, summary: str, doc: str | None) -> argparse.ArgumentParser:
        """A command with the common options; ``doc`` (its module's docstring) is its description."""
        return commands.add_parser(
            name, parents=common, help=summary, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )

    status_parser = command("status", "queues, DLQs, subscriptions, workers, totals", status.__doc__)
    _status_dir_option(status_parser)
    status_parser.add_argument(
        "--watch", action="store_true", help="refresh in place until Ctrl-C (with --json: a line per refresh)"
    )
    status_parser.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes (default: 2)")

    peek_parser = command("peek", "a DLQ's messages, without consuming them", peek.__doc__)
    peek_parser.add_argument("--dlq", choices=sorted(QUEUES), required=True, help="which dead-letter queue")
    peek_parser.add_argument("--max", type=int, default=100, help="at most this many messages (default: 100)")
    _status_dir_option(peek_parser)

    redrive_parser = command("redrive", "move a DLQ's messages back to their queue", redrive_doc)
    redrive_parser.add_argument("--queue", choices=sorted(QUEUES), required=True, help="whose DLQ to redrive")

    switch_parser = command("switch", "show or flip the strangler switch", switch.__doc__)
    switch_parser.add_argument(
        "feature", nargs="?", choices=switch.FEATURES, help="like or adopt (none: show the modes)"
    )
    switch_parser.add_argument("mode", nargs="?", choices=("inline", "queue"), help="inline or queue")

    command("seed", "add the catalogue's missing mysfits", catalogue.__doc__)
    reset_parser = command("reset", "empty queues and tables, then seed (local only)", catalogue.__doc__)
    reset_parser.add_argument("--yes-really", action="store_true", help="reset a target that is not a local emulator")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit codes as :mod:`mysfits_common.cli` lists them; 130 on Ctrl-C (0 for ``status --watch``)."""
    args = build_parser().parse_args(argv)
    tool = f"ops {args.command}"
    configure_command_logging(tool)
    try:
        return report_failures(
            tool, lambda: _run(args), expected=EXPECTED_FAILURES, explained=explain, as_json=args.json
        )
    except KeyboardInterrupt:
        return Exit.OK if getattr(args, "watch", False) else 130


def _run(args: argparse.Namespace) -> None:
    if args.command == "switch" and args.feature is not None and args.mode is None:
        raise CommandError("switch takes a feature and a mode (like|adopt inline|queue), or nothing to show them",
                           Exit.USAGE)
    _COMMANDS[args.command](Target.from_environment(args.project, args.endpoint_url), args)


def _show(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        print_json(data)
    else:
        print(text, flush=True)


def _status(target: Target, args: argparse.Namespace) -> None:
    status_dir = args.status_dir if args.status_dir.is_dir() else None
    if not args.watch:
        current = status.collect(target, status_dir)
        _show(args, current, status.render(current))
        return
    # Ctrl-C sets a flag rather than raising: a KeyboardInterrupt that lands in a finaliser (a
    # closing connection) is printed and ignored by Python, and the watch would go on.
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        while not interrupted.is_set():
            current = status.collect(target, status_dir)
            if args.json:
                print_json(current)
            else:
                footer = f"{time.strftime('%H:%M:%S')}, every {args.interval:g} s; Ctrl-C stops"
                print(f"{_CLEAR}{status.render(current)}\n\n{footer}", flush=True)
            interrupted.wait(args.interval)
    finally:
        signal.signal(signal.SIGINT, previous)


def _peek(target: Target, args: argparse.Namespace) -> None:
    if args.max < 1:
        raise CommandError("--max must be at least 1", Exit.USAGE)
    messages = peek.peek(target, args.dlq, args.max, args.status_dir if args.status_dir.is_dir() else None)
    _show(args, {"dlq": args.dlq, "messages": messages}, peek.render(args.dlq, messages))


def _redrive(target: Target, args: argparse.Namespace) -> None:
    pair = target.pipeline.queues[args.queue]
    try:
        moved = redrive(target.client("sqs"), pair)
    except RedriveFailed as error:  # its timeout, a TimeoutError, is an expected failure anyway
        raise CommandError(str(error)) from error
    _show(
        args,
        {"queue": args.queue, "moved": moved, "from": pair.dlq_url, "to": pair.url},
        f"Moved {moved} message(s) from {pair.dlq_url} back to {pair.url}",
    )


def _switch(target: Target, args: argparse.Namespace) -> None:
    modes = switch.current_modes(target) if args.feature is None else switch.set_mode(target, args.feature, args.mode)
    text = table(
        ["feature", "mode"],
        [[feature, mode or "(no parameter: LIKE_MODE/ADOPT_MODE)"] for feature, mode in modes.items()],
    )
    _show(args, {"modes": modes}, text)


def _seed(target: Target, args: argparse.Namespace) -> None:
    result = catalogue.seed_catalogue(target)
    _show(args, result, f"Added {result['added']} mysfit(s) to {target.pipeline.mysfits_table}")


def _reset(target: Target, args: argparse.Namespace) -> None:
    result = catalogue.reset(target, yes_really=args.yes_really)
    _show(
        args,
        result,
        f"Reset {target.describe()}: removed {result['mysfitsRemoved']} mysfit(s) and "
        f"{result['markersRemoved']} marker(s) and {result['messagesRemoved']} message(s), "
        f"added {result['added']} mysfit(s)",
    )


_COMMANDS: dict[str, Callable[[Target, argparse.Namespace], object]] = {
    "status": _status,
    "peek": _peek,
    "redrive": _redrive,
    "switch": _switch,
    "seed": _seed,
    "reset": _reset,
}
