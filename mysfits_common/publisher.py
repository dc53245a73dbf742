"""Publishing events: the port the services depend on and its SNS adapter."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mysfits_common.events import Event, validate_envelope

# SNS takes at most ten entries in one PublishBatch request.
MAX_BATCH_ENTRIES = 10


class PublishError(Exception):
    """The event could not be durably published; the caller must not report success."""


class EventPublisher(abc.ABC):
    @abc.abstractmethod
    def publish(self, event: Event, timeout: float | None = None) -> None:
        """Publish `event` durably or raise PublishError; wait at most `timeout` seconds where the
        publisher can bound it (an adapter's own client configuration bounds a single call)."""

    def publish_batch(self, events: Sequence[Event]) -> dict[str, PublishError | None]:
        """Publish each event; per event id, None once it is durably published, else why not.

        Entries succeed or fail one by one: a caller must settle each event on its own result.
        This default publishes them one at a time; an adapter that can do better overrides it.
        """
        results: dict[str, PublishError | None] = {}
        for event in events:
            try:
                self.publish(event)
            except PublishError as error:
                results[event.event_id] = error
            else:
                results[event.event_id] = None
        return results

    def ping(self) -> None:  # noqa: B027 - optional readiness check
        """Raise if the publisher cannot currently reach its destination."""

    def close(self) -> None:  # noqa: B027 - only a publisher that holds work back has any to flush
        """Publish whatever is still waiting; called once the process stops taking requests."""


def _attributes(event: Event) -> dict[str, Any]:
    """The attribute the subscriptions' filter policies select on."""
    return {"event_type": {"DataType": "String", "StringValue": event.event_type}}


class SnsPublisher(EventPublisher):
    """Publishes to one SNS topic with the `event_type` attribute the subscriptions filter on."""

    def __init__(self, topic_arn: str, sns_client: Any) -> None:
        self._topic_arn = topic_arn
        self._sns = sns_client

    def publish(self, event: Event, timeout: float | None = None) -> None:
        validate_envelope(event.to_message())
        try:
            self._sns.publish(TopicArn=self._topic_arn, Message=event.to_json(), MessageAttributes=_attributes(event))
        except (BotoCoreError, ClientError) as error:
            raise PublishError(f"could not publish {event.event_type}: {error}") from error

    def publish_batch(self, events: Sequence[Event]) -> dict[str, PublishError | None]:
        """Up to ten events in one PublishBatch request: one request billed instead of ten.

        SNS answers per entry (`Successful`, `Failed`); a failed call fails every entry, and an
        entry the answer does not name is taken as failed, never as published.
        """
        if len(events) > MAX_BATCH_ENTRIES:
            raise ValueError(f"a batch holds at most {MAX_BATCH_ENTRIES} events, not {len(events)}")
        for event in events:
            validate_envelope(event.to_message())
        entries = [
            {"Id": str(index), "Message": event.to_json(), "MessageAttributes": _attributes(event)}
            for index, event in enumerate(events)
        ]
        try:
            response = self._sns.publish_batch(TopicArn=self._topic_arn, PublishBatchRequestEntries=entries)
        except (BotoCoreError, ClientError) as error:
            return {event.event_id: PublishError(f"could not publish {event.event_type}: {error}") for event in events}
        published = {entry["Id"] for entry in response.get("Successful", [])}
        failures = {entry["Id"]: entry for entry in response.get("Failed", [])}
        results: dict[str, PublishError | None] = {}
        for index, event in enumerate(events):
            entry_id = str(index)
            if entry_id in failures:
                failure = failures[entry_id]
                results[event.event_id] = PublishError(
                    f"could not publish {event.event_type}: {failure.get('Code')}: {failure.get('Message')}"
                )
            elif entry_id in published:
                results[event.event_id] = None
            else:
                results[event.event_id] = PublishError(f"SNS gave no result for the {event.event_type} entry")
        return results

    def ping(self) -> None:
        self._sns.get_topic_attributes(TopicArn=self._topic_arn)
