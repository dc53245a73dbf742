"""What a chaos run prints: each fault kind and how often it fired, the load's figures under chaos next
to the calm start of the same run, then each violation with its evidence."""

from __future__ import annotations

from collections import Counter

from bench.chaos.load import REFUSED, Answer, Request
from bench.chaos.run import ChaosRun
from bench.chaos.schedule import KINDS, Schedule
from bench.pipeline import percentile

__all__ = ["applied", "costs", "table"]

# A signal acts at once; what it costs shows in the seconds after (a restart, a redelivery).
AFTERMATH_SECONDS = 10.0


def _row(figure: str, chaos: str, calm: str) -> str:
    return f"{figure:<48} {chaos:>14}  {calm:>14}"


def _times(requests: list[Request]) -> tuple[str, str, str]:
    if not requests:
        return ("-", "-", "-")
    seconds = sorted(request.seconds for request in requests)
    return (f"{percentile(seconds, 50) * 1000:.0f}", f"{percentile(seconds, 99) * 1000:.0f}",
            f"{seconds[-1] * 1000:.0f}")


def _single_answers(requests: list[Request]) -> tuple[str, str]:
    """p99 and longest of the attempts that got an HTTP answer: what the budget bounds."""
    seconds = sorted(a.seconds for request in requests for a in request.attempts if a.status is not None)
    if not seconds:
        return ("-", "-")
    return (f"{percentile(seconds, 99) * 1000:.0f}", f"{seconds[-1] * 1000:.0f}")


def _answers(requests: list[Request]) -> str:
    answers = Counter(request.answer for request in requests)
    return " / ".join(str(answers[answer]) for answer in Answer)


def _attempts(requests: list[Request]) -> dict[str, int]:
    attempts = [attempt for request in requests for attempt in request.attempts]
    return {
        "attempts answered 503": sum(1 for a in attempts if a.status == 503),
        "attempts ambiguous (timeout, connection lost, 5xx)": sum(1 for a in attempts if a.ambiguous),
        "attempts refused a connection": sum(1 for a in attempts if a.error == REFUSED),
        "retries (attempts after a request's first)": len(attempts) - len(requests),
    }


def table(run: ChaosRun) -> list[str]:
    planned = Counter(fault.kind for fault in run.schedule.faults)
    lines = [f"{'fault':<40} {'planned':>8} {'fired':>8}"]
    for kind in KINDS:
        how = "  (requests the emulator faulted)" if kind.startswith("aws ") else ""
        lines.append(f"{kind:<40} {planned[kind]:>8} {run.fired[kind]:>8}{how}")
    calm_until = run.schedule.calm_seconds
    requests = run.ledger.requests
    chaos = [r for r in requests if r.started >= calm_until]
    calm = [r for r in requests if r.started < calm_until]
    lines += ["", _row("figure", "under chaos", "calm, same run")]
    for kind in ("like", "adopt"):
        under, before = _times([r for r in chaos if r.kind == kind]), _times([r for r in calm if r.kind == kind])
        for index, name in enumerate(("p50", "p99", "longest")):
            lines.append(_row(f"{kind} answer {name} ms (retries included)", under[index], before[index]))
        single_under = _single_answers([r for r in chaos if r.kind == kind])
        single_before = _single_answers([r for r in calm if r.kind == kind])
        for index, name in enumerate(("p99", "longest")):
            lines.append(_row(f"{kind} single answer {name} ms", single_under[index], single_before[index]))
        lines.append(_row(f"{kind}s {' / '.join(Answer)}", _answers([r for r in chaos if r.kind == kind]),
                          _answers([r for r in calm if r.kind == kind])))
    under_attempts, calm_attempts = _attempts(chaos), _attempts(calm)
    for name, count in under_attempts.items():
        lines.append(_row(name, str(count), str(calm_attempts[name])))
    settle = "did not settle" if run.settle_seconds is None else f"{run.settle_seconds:.1f}"
    lines.append(_row("seconds to settle (queues empty, none in flight)", settle, ""))
    for name, value in run.verdict.figures.items():
        lines.append(_row(name, str(value), ""))
    lines.append("")
    if run.violations:
        lines.append(f"VIOLATIONS ({len(run.violations)}):")
        lines += [f"  {violation}" for violation in run.violations]
    else:
        lines.append("no violation")
    return lines


def costs(schedule: Schedule, requests: list[Request]) -> list[str]:
    """What each fault kind cost the clients: the requests begun while one of its faults lasted (and
    ``AFTERMATH_SECONDS`` after), their attempts answered 503, and their single answers' p99 and longest."""
    lines = [_cost_row("fault", "times", "requests", "503s", "no answer", "p99 ms", "longest ms")]
    for kind in KINDS:
        windows = [(schedule.calm_seconds + f.at, schedule.calm_seconds + f.at + f.hold + AFTERMATH_SECONDS)
                   for f in schedule.faults if f.kind == kind]
        during = [r for r in requests if any(start <= r.started < end for start, end in windows)]
        attempts = [a for r in during for a in r.attempts]
        answered = sorted(a.seconds for a in attempts if a.status is not None)
        p99 = f"{percentile(answered, 99) * 1000:.0f}" if answered else "-"
        longest = f"{answered[-1] * 1000:.0f}" if answered else "-"
        unavailable = sum(1 for a in attempts if a.status == 503)
        no_answer = sum(1 for a in attempts if a.status is None)
        lines.append(_cost_row(kind, len(windows), len(during), unavailable, no_answer, p99, longest))
    return lines


def _cost_row(kind: str, *figures: object) -> str:
    widths = (5, 9, 6, 9, 7, 10)
    return f"{kind:<26}" + "".join(f" {figure!s:>{width}}" for figure, width in zip(figures, widths, strict=True))


def applied(run: ChaosRun) -> list[str]:
    """Each process fault as it was applied, with what it took to be back."""
    faults = sorted(run.applied, key=lambda fault: fault.at)
    return ["faults applied (seconds after the chaos window opened):",
            *(f"  +{fault.at:6.1f} s  {fault.kind}: {fault.detail}" for fault in faults)]
