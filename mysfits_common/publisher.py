"""Publishing events: the port the services depend on and its SNS adapter."""

from __future__ import annotations

import abc
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mysfits_common.events import Event, validate_envelope


class PublishError(Exception):
    """The event could not be durably published; the caller must not report success."""


class EventPublisher(abc.ABC):
    @abc.abstractmethod
    def publish(self, event: Event) -> None:
        """Publish `event` durably or raise PublishError."""

    def ping(self) -> None:  # noqa: B027 - optional readiness check
        """Raise if the publisher cannot currently reach its destination."""


class SnsPublisher(EventPublisher):
    """Publishes to one SNS topic with the `event_type` attribute the subscriptions filter on."""

    def __init__(self, topic_arn: str, sns_client: Any) -> None:
        self._topic_arn = topic_arn
        self._sns = sns_client

    def publish(self, event: Event) -> None:
        message = event.to_message()
        validate_envelope(message)
        try:
            self._sns.publish(
                TopicArn=self._topic_arn,
                Message=event.to_json(),
                MessageAttributes={"event_type": {"DataType": "String", "StringValue": event.event_type}},
            )
        except (BotoCoreError, ClientError) as error:
            raise PublishError(f"could not publish {event.event_type}: {error}") from error

    def ping(self) -> None:
        self._sns.get_topic_attributes(TopicArn=self._topic_arn)
