"""The seeded schedule of a chaos run: which fault, when, for how long; printed before the run starts.

Faults run in lanes, one per thing they break (each worker, the monolith, the emulator, and AWS's
behaviour by the service each kind of AWS fault mostly hits): within a lane one fault ends, and
what it broke is back, before the next one starts;
lanes overlap freely, as independent failures do. Every kind fires ``min_each`` times, in a seeded
order with seeded gaps, spread over the chaos window.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

__all__ = [
    "AWS_KINDS",
    "KINDS",
    "Fault",
    "Rule",
    "Schedule",
    "ScheduleDoesNotFit",
    "plan",
]

WORKER_NAMES = ("like_worker", "adopt_worker")


@dataclass(frozen=True)
class Kind:
    name: str
    lane: str
    recovery_seconds: float  # allowed after the fault ends for what it broke to be back


def _worker_kinds(worker: str) -> list[Kind]:
    return [
        Kind(f"{worker} kill -9", worker, 4),
        Kind(f"{worker} SIGTERM", worker, 4),
        Kind(f"{worker} SIGSTOP", worker, 3),
    ]


PROCESS_KINDS = [
    *_worker_kinds("like_worker"),
    *_worker_kinds("adopt_worker"),
    Kind("gunicorn worker kill -9", "monolith", 4),
    Kind("monolith SIGTERM", "monolith", 12),
    Kind("monolith kill -9", "monolith", 12),
    Kind("emulator SIGSTOP", "emulator", 3),
]


@dataclass(frozen=True)
class AwsKind:
    """A fault of the emulator's AWS boundary, and where it bites: its first target in every window
    (a busy action, so that the window is sure to fire), another one in turn."""

    fault: str
    probability: float
    targets: tuple[tuple[str, str], ...]
    seconds: float | None = None  # how long a hold, latency or hang lasts


_TRANSACT = ("dynamodb", "TransactWriteItems")
_GET = ("dynamodb", "GetItem")
_PUBLISH = ("sns", "PublishBatch")
_RECEIVE = ("sqs", "ReceiveMessage")
_DELETE = ("sqs", "DeleteMessageBatch")
_VISIBILITY = ("sqs", "ChangeMessageVisibilityBatch")
# No UpdateItem, PutItem or Publish: the system's hot paths make none (likes and adoptions are
# transactions, publishes are batches); a rule there would never fire.
AWS_KINDS = [
    AwsKind("throttle", 0.5, (_TRANSACT, _PUBLISH, _RECEIVE, _GET)),
    AwsKind("internal-error", 0.3, (_PUBLISH, _TRANSACT, _DELETE, _GET)),
    AwsKind("conflict", 0.5, (_TRANSACT,)),
    AwsKind("hold", 0.5, (_TRANSACT,), seconds=1.0),
    AwsKind("partial-batch", 0.5, (_PUBLISH,)),
    AwsKind("latency", 0.5, (_RECEIVE, _PUBLISH, _TRANSACT, _DELETE), seconds=1.0),
    AwsKind("hang", 0.3, (_PUBLISH, _TRANSACT, _DELETE, _VISIBILITY), seconds=3.0),
    AwsKind("lose-answer", 0.3, (_TRANSACT, _PUBLISH, _DELETE, _RECEIVE, _VISIBILITY)),
    AwsKind("drop", 0.3, (_PUBLISH, _RECEIVE, _TRANSACT, _VISIBILITY)),
]
KINDS = [kind.name for kind in PROCESS_KINDS] + [f"aws {kind.fault}" for kind in AWS_KINDS]
_AWS_RECOVERY_SECONDS = 2.0


@dataclass(frozen=True)
class Rule:
    """One rule of the emulator's fault endpoint, as its JSON carries it."""

    name: str
    fault: str
    service: str
    action: str
    probability: float
    after: float  # seconds after the rules are set
    seconds_for: float
    seconds: float | None = None

    def as_json(self) -> dict[str, object]:
        rule: dict[str, object] = {
            "name": self.name,
            "service": self.service,
            "action": self.action,
            "fault": self.fault,
            "probability": self.probability,
            "after": round(self.after, 2),
            "for": round(self.seconds_for, 2),
        }
        if self.seconds is not None:
            rule["seconds"] = self.seconds
        return rule


@dataclass(frozen=True)
class Fault:
    at: float  # seconds after the chaos window opens
    kind: str
    lane: str
    hold: float  # how long the fault lasts: a stop, an AWS window; 0 for a signal that acts at once
    rules: tuple[Rule, ...] = ()

    def describe(self) -> str:
        if self.rules:
            targets = ", ".join(f"{r.service} {r.action} p={r.probability:g}" for r in self.rules)
            return f"{self.kind} for {self.hold:.0f} s on {targets}"
        return f"{self.kind}" + (f" for {self.hold:.1f} s" if self.hold else "")


class ScheduleDoesNotFit(ValueError):
    """The faults asked for need more time than the chaos window has."""


@dataclass(frozen=True)
class Schedule:
    seed: int
    calm_seconds: float  # the load alone first: the baseline of the same run
    chaos_seconds: float
    faults: list[Fault] = field(default_factory=list)

    @property
    def rules(self) -> list[Rule]:
        return [rule for fault in self.faults for rule in fault.rules]

    def lanes(self) -> dict[str, list[Fault]]:
        lanes: dict[str, list[Fault]] = {}
        for fault in self.faults:
            lanes.setdefault(fault.lane, []).append(fault)
        return lanes

    def lines(self) -> list[str]:
        head = (f"chaos schedule, seed {self.seed}: {self.calm_seconds:.0f} s calm (the baseline), then "
                f"{len(self.faults)} faults in {self.chaos_seconds:.0f} s")
        return [head, *(f"  +{f.at:6.1f} s  [{f.lane}] {f.describe()}" for f in self.faults)]


@dataclass(frozen=True)
class _Planned:
    kind: str
    lane: str
    hold: float
    recovery_seconds: float
    aws: AwsKind | None = None
    occurrence: int = 0


def plan(seconds: float, seed: int, min_each: int, visibility_timeout: int) -> Schedule:
    """Every kind ``min_each`` times within ``seconds`` (calm start included), in seeded order and gaps.

    An AWS fault's rules start ``after`` seconds counted from the opening of the chaos window,
    when the run sets them all at once.
    """
    rng = random.Random(seed)
    calm = min(max(0.1 * seconds, 10.0), 120.0)
    chaos = seconds - calm
    lanes: dict[str, list[_Planned]] = {}
    for kind in PROCESS_KINDS:
        for _ in range(min_each):
            hold = 0.0
            if kind.name.endswith("SIGSTOP"):
                # A worker stopped past the visibility timeout: its messages show again meanwhile.
                hold = (visibility_timeout + rng.uniform(2, 5)) if kind.lane in WORKER_NAMES else rng.uniform(2, 5)
            lanes.setdefault(kind.lane, []).append(_Planned(kind.name, kind.lane, hold, kind.recovery_seconds))
    aws_lanes = Counter(_aws_lane(kind) for kind in AWS_KINDS)
    for aws_kind in AWS_KINDS:
        lane = _aws_lane(aws_kind)
        # Windows as long as the lane leaves room for, so that a rule on a quiet action still fires.
        window = min(20.0, max(4.0, 0.6 * chaos / (aws_lanes[lane] * max(min_each, 1))))
        for occurrence in range(min_each):
            lanes.setdefault(lane, []).append(
                _Planned(f"aws {aws_kind.fault}", lane, window, _AWS_RECOVERY_SECONDS, aws_kind, occurrence))
    faults: list[Fault] = []
    for lane, items in lanes.items():
        rng.shuffle(items)
        needed = sum(item.hold + item.recovery_seconds for item in items)
        spare = chaos - needed
        if spare < 0:
            raise ScheduleDoesNotFit(
                f"the {lane} lane needs {needed:.0f} s for {len(items)} faults; the chaos window has {chaos:.0f} s")
        weights = [rng.random() for _ in range(len(items) + 1)]
        at = 0.0
        for item, weight in zip(items, weights, strict=False):
            at += spare * weight / sum(weights)
            rules = _rules(item.aws, item.occurrence, at, item.hold) if item.aws else ()
            faults.append(Fault(round(at, 1), item.kind, lane, round(item.hold, 1), rules))
            at += item.hold + item.recovery_seconds
    faults.sort(key=lambda fault: (fault.at, fault.lane))
    return Schedule(seed, calm, chaos, faults)


def _aws_lane(kind: AwsKind) -> str:
    return f"aws {kind.targets[0][0]}"


def _rules(kind: AwsKind, occurrence: int, after: float, window: float) -> tuple[Rule, ...]:
    """The window's rules: on its kind's first target, and on the next one in turn."""
    targets = dict.fromkeys([kind.targets[0], kind.targets[occurrence % len(kind.targets)]])
    return tuple(
        Rule(f"{kind.fault} #{occurrence + 1} {service} {action}", kind.fault, service, action, kind.probability,
             round(after, 1), window, kind.seconds)
        for service, action in targets
    )
