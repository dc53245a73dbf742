"""In-memory fakes that subclass the real ports, for unit tests of the service layer and handlers."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from monolith.domain import (
    AlreadyAdopted,
    CorruptRecord,
    DependencyUnavailable,
    Filter,
    ItemBusy,
    Mysfit,
    MysfitNotFound,
    UnprocessableEvent,
)
from monolith.fulfil import batch_word
from monolith.repository import MysfitRepository
from monolith.seed import catalogue
from mysfits_common.budgets import Deadline
from mysfits_common.events import AdoptionRequested, Event, LikeRequested
from mysfits_common.handlers import PermanentError, TransientError
from mysfits_common.monolith_client import FulfilResult, MonolithPort, result_of
from mysfits_common.outcomes import Outcome, to_word
from mysfits_common.publisher import EventPublisher, PublishError


class FakeRepository(MysfitRepository):
    """The DynamoDB adapter's contract in memory: the same statuses and the same exceptions.

    ``down``: DynamoDB does not answer; every call raises DependencyUnavailable and writes nothing
    (a batch too: an outage is not one busy item). ``busy``: mysfits whose item is in a conflicting
    transaction or throttled. ``corrupt``: mysfits whose item cannot take a like (Likes stored as a
    string); an adoption does not touch Likes and still succeeds.
    """

    def __init__(self, mysfits: list[Mysfit] | None = None) -> None:
        self.mysfits = {m.mysfit_id: m for m in (catalogue() if mysfits is None else mysfits)}
        self.markers: dict[str, Outcome] = {}
        self.reads = 0
        self.finds: list[tuple[Filter, str] | None] = []
        self.down = False
        self.busy: set[str] = set()
        self.deadlines: list[Deadline | None] = []  # each batch's, as the caller's budget made it
        self.corrupt: set[str] = set()
        self.item_writes: dict[str, int] = {}

    def find(self, by: tuple[Filter, str] | None = None) -> list[Mysfit]:
        self._raise_if_down()
        self.finds.append(by)
        attribute = {Filter.GOOD_EVIL: "good_evil", Filter.LAW_CHAOS: "law_chaos"}
        return [m for m in self.mysfits.values() if by is None or getattr(m, attribute[by[0]]) == by[1]]

    def get(self, mysfit_id: str) -> Mysfit | None:
        self._raise_if_down()
        self.reads += 1
        return self.mysfits.get(mysfit_id)

    def apply_likes(
        self, events: Sequence[LikeRequested], deadline: Deadline | None = None
    ) -> dict[str, Outcome | Exception]:
        """As the DynamoDB adapter applies a batch: a result per event, settled per item (a
        duplicate marker, a missing, busy or corrupt mysfit fail only their own events), and the rest
        written together, one write per mysfit whatever its number of likes."""
        self.deadlines.append(deadline)
        self._raise_if_down()
        results: dict[str, Outcome | Exception] = {}
        pending: dict[str, LikeRequested] = {}
        for event in events:
            if event.event_id in self.markers:
                results[event.event_id] = Outcome.DUPLICATE
            elif event.mysfit_id not in self.mysfits:
                results[event.event_id] = MysfitNotFound(event.mysfit_id)
            elif event.mysfit_id in self.busy:
                results[event.event_id] = ItemBusy(f"mysfit {event.mysfit_id} is busy")
            elif event.mysfit_id in self.corrupt:
                results[event.event_id] = UnprocessableEvent(event.mysfit_id, "its item cannot take a like")
            else:
                pending[event.event_id] = event  # one marker per id, as in one transaction
        for mysfit_id, count in Counter(event.mysfit_id for event in pending.values()).items():
            mysfit = self.mysfits[mysfit_id]
            self.mysfits[mysfit_id] = dataclasses.replace(mysfit, likes=mysfit.likes + count)
            self.item_writes[mysfit_id] = self.item_writes.get(mysfit_id, 0) + 1
        for event_id in pending:
            self.markers[event_id] = results[event_id] = Outcome.PROCESSED
        return results

    def apply_adoption(self, event: AdoptionRequested, deadline: Deadline | None = None) -> Outcome:
        self._raise_if_down()
        if event.event_id in self.markers:  # decided before: the same decision again
            if self.markers[event.event_id] is Outcome.REJECTED:
                raise AlreadyAdopted(event.mysfit_id)
            return Outcome.DUPLICATE
        if event.mysfit_id in self.busy:
            raise ItemBusy(f"mysfit {event.mysfit_id} is busy")
        mysfit = self._existing(event.mysfit_id)
        if mysfit.adopted:
            self.markers[event.event_id] = Outcome.REJECTED
            raise AlreadyAdopted(mysfit.mysfit_id)
        self.mysfits[mysfit.mysfit_id] = dataclasses.replace(mysfit, adopted=True, adopted_by=event.event_id)
        self.markers[event.event_id] = Outcome.PROCESSED
        return Outcome.PROCESSED

    def add_if_absent(self, mysfit: Mysfit) -> bool:
        self._raise_if_down()
        if mysfit.mysfit_id in self.mysfits:
            return False
        self.mysfits[mysfit.mysfit_id] = mysfit
        return True

    def ping(self) -> None:
        self._raise_if_down()

    def _raise_if_down(self) -> None:
        if self.down:
            raise DependencyUnavailable("DynamoDB did not answer")

    def _existing(self, mysfit_id: str) -> Mysfit:
        if mysfit_id not in self.mysfits:
            raise MysfitNotFound(mysfit_id)
        return self.mysfits[mysfit_id]


class RecordingPublisher(EventPublisher):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.down = False
        self.closed = False

    def publish(self, event: Event, timeout: float | None = None) -> None:
        if self.down:
            raise PublishError("SNS is down")
        self.events.append(event)

    def close(self) -> None:
        self.closed = True


class FakeMonolith(MonolithPort):
    """The monolith as the workers see it, over a FakeRepository: its errors reach a handler as
    MonolithClient raises them from the monolith's answers."""

    def __init__(self, repository: FakeRepository | None = None) -> None:
        self.repository = repository or FakeRepository()
        self.lookups = 0
        self.fulfilled: list[tuple[str, Event]] = []

    def get_mysfit(self, mysfit_id: str) -> dict[str, Any] | None:
        self.lookups += 1
        with _as_the_client_raises():
            mysfit = self.repository.get(mysfit_id)
        return None if mysfit is None else {"mysfitId": mysfit.mysfit_id, "adopted": mysfit.adopted}

    def fulfil(self, action: str, event: Event) -> FulfilResult:
        self.fulfilled.append((action, event))
        try:
            with _as_the_client_raises():
                if isinstance(event, LikeRequested):
                    outcome = self.repository.apply_like(event)
                else:
                    assert isinstance(event, AdoptionRequested)
                    outcome = self.repository.apply_adoption(event)
        except AlreadyAdopted:
            return FulfilResult(409, {"error": {"code": "already_adopted"}})
        return FulfilResult(200, {"status": to_word(outcome), "eventId": event.event_id})

    def fulfil_likes(self, events: Sequence[Event]) -> dict[str, Outcome | Exception]:
        self.fulfilled += [("likes", event) for event in events]
        likes = [event for event in events if isinstance(event, LikeRequested)]
        with _as_the_client_raises():
            results = self.repository.apply_likes(likes)
        return {event_id: result_of(batch_word(result)) for event_id, result in results.items()}


@contextmanager
def _as_the_client_raises() -> Iterator[None]:
    """The repository's exceptions as MonolithClient raises them from the status monolith/errors.py answers."""
    try:
        yield
    except (MysfitNotFound, UnprocessableEvent) as error:  # 404, 422
        raise PermanentError(str(error)) from error
    except (DependencyUnavailable, CorruptRecord) as error:  # 503, 500: retried, then given up on
        raise TransientError(str(error)) from error


def first_mysfit(repository: FakeRepository) -> Mysfit:
    return next(iter(repository.mysfits.values()))


class GatedBatchPublisher(EventPublisher):
    """Records every batch it is given and the thread that sent it; holds each batch until the gate is
    open, fails the events of mysfits in `failing`, and fails whole batches while `down`."""

    def __init__(self) -> None:
        self.batches: list[list[Event]] = []
        self.senders: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Semaphore(0)  # released once per batch that reached the gate
        self.failing: set[str] = set()
        self.down = False

    def publish(self, event: Event, timeout: float | None = None) -> None:
        error = self.publish_batch([event])[event.event_id]
        if error is not None:
            raise error

    def publish_batch(self, events: Sequence[Event]) -> dict[str, PublishError | None]:
        self.entered.release()
        self.gate.wait()
        self.batches.append(list(events))
        self.senders.append(threading.get_ident())
        if self.down:
            raise ConnectionError("SNS did not answer")
        return {
            event.event_id: PublishError("refused") if event.mysfit_id in self.failing else None for event in events
        }

    @property
    def published(self) -> list[Event]:
        return [event for batch in self.batches for event in batch if event.mysfit_id not in self.failing]


class ContendedDynamoDB:
    """A DynamoDB client whose transactions touching the items of ``contended`` mysfits are cancelled
    with ``TransactionConflict`` (as DynamoDB answers while another transaction writes the item), the
    next ``conflicts`` times; ``throttles`` whole requests are refused first with a
    ``ThrottlingException``. Everything else goes to the real client."""

    def __init__(self, client: Any, contended: set[str], conflicts: int, throttles: int = 0) -> None:
        self._client = client
        self.contended = contended
        self.conflicts = conflicts
        self.throttles = throttles
        self.transactions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **request: Any) -> Any:
        self.transactions += 1
        items = request["TransactItems"]
        if self.throttles > 0:
            self.throttles -= 1
            error = {"Code": "ThrottlingException", "Message": "Throughput exceeds the current capacity"}
            raise ClientError({"Error": error}, "TransactWriteItems")
        reasons = [
            {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
            if "Update" in item and item["Update"]["Key"]["MysfitId"]["S"] in self.contended
            else {"Code": "None"}
            for item in items
        ]
        if self.conflicts > 0 and any(reason["Code"] != "None" for reason in reasons):
            self.conflicts -= 1
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")
        return self._client.transact_write_items(**request)


class FakeSqs:
    """An SQS queue as its callers see it: receives hand out queued ``batches``, deletes and visibility
    changes are recorded (the consumer's calls); ``counts`` answer GetQueueAttributes by queue URL
    (visible, in flight, delayed: the pipeline view's reads)."""

    def __init__(
        self,
        batches: list[list[dict[str, Any]]] | None = None,
        counts: dict[str, tuple[int, int, int]] | None = None,
    ) -> None:
        self.batches = list(batches or [])
        self.deleted: list[str] = []
        self.visibility: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.counts = counts or {}
        self.reads = 0

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["WaitTimeSeconds"] == 20 and kwargs["MaxNumberOfMessages"] == 10
        return {"Messages": self.batches.pop(0)} if self.batches else {}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.deleted += [entry["ReceiptHandle"] for entry in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            self.visibility += [(entry["ReceiptHandle"], entry["VisibilityTimeout"]) for entry in Entries]
        return {"Successful": [], "Failed": []}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        self.reads += 1
        visible, in_flight, delayed = self.counts[QueueUrl]
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(in_flight),
                "ApproximateNumberOfMessagesDelayed": str(delayed),
            }
        }


class FakeSsm:
    """SSM parameters by name; counts reads; can be made to fail."""

    def __init__(self, **values: str) -> None:
        self.values = {f"/strangler-switch/mysfits/{name}": value for name, value in values.items()}
        self.reads = 0
        self.failure: Exception | None = None

    def get_parameter(self, Name: str) -> dict[str, Any]:
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        if Name not in self.values:
            raise ClientError({"Error": {"Code": "ParameterNotFound", "Message": Name}}, "GetParameter")
        return {"Parameter": {"Name": Name, "Value": self.values[Name]}}
