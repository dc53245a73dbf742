"""Judging a chaos run once it has settled: the final state against the ledger, violation by violation.

Four sources, read after the queues are empty: the processed-events markers (one per event the
monolith fulfilled, with its outcome), each mysfit's Likes and AdoptedBy, the dead-letter queues,
and the audit queue: a queue of the harness subscribed to the topic with no filter, which holds
every event the monolith published, with the ``correlationId`` that ties it to the logical request
(the client sends its idempotency key as its correlation id). So a like counted twice shows as one
request with two counted events, whatever the eventIds its client saw.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.chaos.load import Answer, Ledger, Request
from bench.pipeline import Observer
from mysfits_common.outcomes import Outcome, to_word

__all__ = ["Audit", "DeadLetter", "FinalState", "Marker", "MysfitState", "Verdict", "Violation", "judge", "read_state"]

LIKE, ADOPTION = "LikeRequested", "AdoptionRequested"
_PROCESSED = to_word(Outcome.PROCESSED)  # the Outcome a marker of a processed event stores
_KIND_OF = {"like": LIKE, "adopt": ADOPTION}
EXAMPLES = 5  # evidence lines per violation


@dataclass(frozen=True)
class Published:
    event_id: str
    event_type: str
    mysfit_id: str
    correlation_id: str


@dataclass(frozen=True)
class Marker:
    event_id: str
    event_type: str
    mysfit_id: str
    outcome: str


@dataclass(frozen=True)
class MysfitState:
    likes: int
    adopted: bool
    adopted_by: str | None


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    event_id: str
    receive_count: int


@dataclass(frozen=True)
class FinalState:
    likes_before: dict[str, int]
    mysfits: dict[str, MysfitState]
    published: dict[str, Published]
    markers: dict[str, Marker]
    dead_letters: list[DeadLetter]


@dataclass(frozen=True)
class Violation:
    name: str
    count: int
    evidence: list[str]

    def __str__(self) -> str:
        more = f" (and {self.count - len(self.evidence)} more)" if self.count > len(self.evidence) else ""
        return f"{self.name}: {self.count}{more}" + "".join(f"\n    {line}" for line in self.evidence)


@dataclass
class Verdict:
    violations: list[Violation] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, evidence: Iterable[str]) -> None:
        lines = list(evidence)
        if lines:
            self.violations.append(Violation(name, len(lines), lines[:EXAMPLES]))


def judge(ledger: Ledger, state: FinalState) -> Verdict:
    verdict = Verdict()
    applied_likes = [m for m in state.markers.values() if m.event_type == LIKE and m.outcome == _PROCESSED]
    counted = Counter(marker.mysfit_id for marker in applied_likes)
    verdict.add("likes counted but not by one marker each", (
        f"{mysfit_id}: Likes went up by {state.mysfits[mysfit_id].likes - before}, {counted[mysfit_id]} like events "
        "have a marker"
        for mysfit_id, before in sorted(state.likes_before.items())
        if state.mysfits[mysfit_id].likes - before != counted[mysfit_id]
    ))
    for kind in ("like", "adopt"):
        verdict.add(f"accepted {kind} never fulfilled (202, no marker)", (
            f"eventId {event_id}: {request}"
            for event_id, request in ledger.accepted_event_ids(kind).items() if event_id not in state.markers
        ))
    verdict.add("marker for an event the monolith never published", (
        f"eventId {marker.event_id} ({marker.event_type} of {marker.mysfit_id}, {marker.outcome})"
        for marker in state.markers.values() if marker.event_id not in state.published
    ))
    requests = ledger.by_key()
    verdict.add("event published for no request of the run", (
        f"eventId {event.event_id} ({event.event_type} of {event.mysfit_id}), correlationId {event.correlation_id}"
        for event in state.published.values() if event.correlation_id not in requests
    ))
    _judge_requests(verdict, requests, state)
    _judge_adoptions(verdict, ledger, state)
    verdict.add("message in a dead-letter queue", (
        f"{letter.queue}: eventId {letter.event_id}, received {letter.receive_count} times; "
        f"{_request_of(letter.event_id, requests, state) or 'no request of the run'}"
        for letter in state.dead_letters
    ))
    verdict.figures["events published"] = len(state.published)
    verdict.figures["markers"] = len(state.markers)
    return verdict


def _fulfilled(event: Published, state: FinalState) -> bool:
    """Whether the event took effect: a like counted, an adoption decided (won or rejected)."""
    marker = state.markers.get(event.event_id)
    return marker is not None and (event.event_type != LIKE or marker.outcome == _PROCESSED)


def _applied(event_id: str, state: FinalState) -> bool:
    """Whether the event changed something: a like counted, an adoption won (a rejected one changes nothing)."""
    marker = state.markers.get(event_id)
    return marker is not None and marker.outcome == _PROCESSED


def _judge_requests(verdict: Verdict, requests: dict[str, Request], state: FinalState) -> None:
    """Each logical request took effect at most once, under the eventId its client was given, and not at
    all when its client was told it did not."""
    events: dict[str, list[Published]] = defaultdict(list)
    for event in state.published.values():
        events[event.correlation_id].append(event)
    twice, wrong_id, refused_yet_done = [], [], []
    lost_answer_done = Counter[str]()
    for key, request in requests.items():
        done = sorted(e.event_id for e in events.get(key, []) if _fulfilled(e, state))
        evidence = f"{request}; fulfilled as {', '.join(done)}"
        if len(done) > 1:
            twice.append(evidence)
        elif done and request.answer is Answer.ACCEPTED and done != [request.event_id]:
            wrong_id.append(evidence)
        elif done and not request.maybe_published:
            refused_yet_done.append(evidence)
        elif request.answer is Answer.REFUSED and any(_applied(event_id, state) for event_id in done):
            refused_yet_done.append(evidence)  # told 404 or 409, yet it was counted or won
        elif done and request.answer in (Answer.AMBIGUOUS, Answer.UNAVAILABLE):
            lost_answer_done[request.kind] += 1
    verdict.add("request fulfilled more than once (a retry was a new event)", twice)
    verdict.add("request fulfilled under an eventId its client was never given", wrong_id)
    verdict.add("request fulfilled though its client was told it was not (4xx, or only refused connections)",
                refused_yet_done)
    for kind in ("like", "adopt"):
        figure = f"{kind}s fulfilled whose client got no 202 (no answer, or a 503 as it was published)"
        verdict.figures[figure] = lost_answer_done[kind]


def _judge_adoptions(verdict: Verdict, ledger: Ledger, state: FinalState) -> None:
    """One winner per mysfit wanted, the one its AdoptedBy names, and a request its client saw accepted."""
    accepted = ledger.accepted_event_ids("adopt")
    requests = ledger.by_key()
    winners: dict[str, list[str]] = defaultdict(list)
    for marker in state.markers.values():
        if marker.event_type == ADOPTION and marker.outcome == _PROCESSED:
            winners[marker.mysfit_id].append(marker.event_id)
    wanted = sorted({request.mysfit_id for request in accepted.values()} | set(winners))
    wrong, unseen = [], []
    for mysfit_id in wanted:
        adopted_by = state.mysfits[mysfit_id].adopted_by if mysfit_id in state.mysfits else None
        won = winners.get(mysfit_id, [])
        if len(won) != 1 or adopted_by != won[0]:
            wrong.append(f"{mysfit_id}: applied markers {won or 'none'}, AdoptedBy {adopted_by}")
        elif adopted_by not in accepted:
            request = _request_of(adopted_by, requests, state)
            if request is None or request.answer is not Answer.AMBIGUOUS:  # one whose answer was lost may have won
                unseen.append(f"{mysfit_id}: AdoptedBy {adopted_by}; {request or 'no request of the run'}")
    verdict.add("mysfit without exactly one adoption winner (the one AdoptedBy names)", wrong)
    verdict.add("adoption won by an event whose client was not answered 202 for it", unseen)


def _request_of(event_id: str | None, requests: dict[str, Request], state: FinalState) -> Request | None:
    event = state.published.get(event_id or "")
    return requests.get(event.correlation_id) if event else None


# -- reading the final state ---------------------------------------------------------------------


class Audit:
    """A queue of the harness's, subscribed to the topic with no filter: every event published."""

    def __init__(self, observer: Observer, name: str) -> None:
        self.observer = observer
        self.url = observer.sqs.create_queue(QueueName=name)["QueueUrl"]
        attributes = observer.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]
        arn = attributes["QueueArn"]
        observer.sns.subscribe(TopicArn=observer.topology.events_topic_arn, Protocol="sqs", Endpoint=arn,
                               Attributes={"RawMessageDelivery": "true"})

    def published(self) -> dict[str, Published]:
        found: dict[str, Published] = {}
        for message in _take_all(self.observer, self.url):
            body = json.loads(message["Body"])
            found[body["eventId"]] = Published(body["eventId"], body["eventType"], body["mysfitId"],
                                               body.get("correlationId", ""))
        return found


def _take_all(observer: Observer, queue_url: str) -> list[dict[str, Any]]:
    """Every message in the queue, received once and deleted (the run is over; nothing else reads them).
    Deleted, not left invisible: a receive passes over the invisible messages of its queue, so a
    30-minute run's audit queue (some 36,000 events) took the emulator many minutes to read."""
    taken: list[dict[str, Any]] = []
    while messages := observer.sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600, AttributeNames=["ApproximateReceiveCount"]
    ).get("Messages", []):
        taken += messages
        observer.sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(messages)
        ])
    return taken


def read_state(observer: Observer, audit: Audit, likes_before: dict[str, int]) -> FinalState:
    topology = observer.topology
    mysfits = {
        item["MysfitId"]["S"]: MysfitState(int(item.get("Likes", {}).get("N", "0")),
                                           bool(item.get("Adopted", {}).get("BOOL", False)),
                                           item.get("AdoptedBy", {}).get("S"))
        for item in observer.items(topology.mysfits_table)
    }
    markers = {
        item["EventId"]["S"]: Marker(item["EventId"]["S"], item.get("EventType", {}).get("S", ""),
                                     item.get("MysfitId", {}).get("S", ""), item.get("Outcome", {}).get("S", ""))
        for item in observer.items(topology.processed_events_table)
    }
    dead_letters = []
    for name, url in ((f"{queue.name} DLQ", queue.dlq_url) for queue in topology.queues.values()):
        for message in _take_all(observer, url):
            try:
                event_id = str(json.loads(message["Body"]).get("eventId"))
            except (ValueError, AttributeError):
                event_id = f"none (body {message['Body'][:80]!r})"
            # The count includes this read.
            count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1)) - 1
            dead_letters.append(DeadLetter(name, event_id, count))
    return FinalState(likes_before, mysfits, audit.published(), markers, dead_letters)
