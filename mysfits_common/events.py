"""The event envelope published to SNS and consumed from SQS, validated on both sides."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

SCHEMA_VERSION = 1
MYSFIT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
CORRELATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The header that carries an event's correlationId between the callers and the monolith.
CORRELATION_HEADER = "X-Correlation-Id"
# The header (IETF draft) whose key makes a retried like or adoption the same event (event_id_for_key).
IDEMPOTENCY_HEADER = "Idempotency-Key"


class InvalidEvent(ValueError):
    """A message that is not a valid event of a known type and version: a poison message."""


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def event_id_for_key(event_type: str, mysfit_id: str, idempotency_key: str) -> str:
    """The event id of a request sent with an ``Idempotency-Key``: one key, mysfit and event type give
    one event, so a request retried after an answer it never got (or a 503 whose publish landed
    anyway) is the same event, and the fulfil marker counts it once. In the envelope's uuid4 form."""
    digest = hashlib.sha256("\n".join((event_type, mysfit_id, idempotency_key)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    """Something that happened to a mysfit; subclasses are named in the past tense."""

    event_type: ClassVar[str] = ""

    mysfit_id: str
    correlation_id: str = field(default_factory=new_correlation_id)
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=_now)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        validate_envelope(self.to_message())

    def to_message(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "eventType": self.event_type,
            "schemaVersion": self.schema_version,
            "occurredAt": self.occurred_at,
            "mysfitId": self.mysfit_id,
            "correlationId": self.correlation_id,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_message(), separators=(",", ":"))


@dataclass(frozen=True)
class LikeRequested(Event):
    event_type: ClassVar[str] = "LikeRequested"


@dataclass(frozen=True)
class AdoptionRequested(Event):
    event_type: ClassVar[str] = "AdoptionRequested"


EVENT_TYPES: dict[str, type[Event]] = {cls.event_type: cls for cls in (LikeRequested, AdoptionRequested)}
_FIELDS = ("eventId", "eventType", "schemaVersion", "occurredAt", "mysfitId", "correlationId")


def validate_envelope(message: dict[str, Any]) -> None:
    """Raise InvalidEvent unless `message` is a well-formed envelope of a known type and version."""
    missing = [name for name in _FIELDS if name not in message]
    if missing:
        raise InvalidEvent(f"missing fields: {', '.join(missing)}")
    version = message["schemaVersion"]
    if type(version) is not int or version != SCHEMA_VERSION:
        raise InvalidEvent(f"unsupported schemaVersion {version!r}")
    if not isinstance(message["eventType"], str) or message["eventType"] not in EVENT_TYPES:
        raise InvalidEvent(f"unknown eventType {message['eventType']!r}")
    event_id = message["eventId"]
    try:
        parsed = uuid.UUID(event_id) if isinstance(event_id, str) else None
    except ValueError:
        parsed = None
    # The canonical spelling only: "{...}", "urn:uuid:..." or upper case would each get a marker of their own.
    if parsed is None or parsed.version != 4 or str(parsed) != event_id:
        raise InvalidEvent("eventId is not a uuid4 in canonical form")
    if not isinstance(message["mysfitId"], str) or not MYSFIT_ID_PATTERN.fullmatch(message["mysfitId"]):
        raise InvalidEvent("mysfitId is not a valid id")
    correlation_id = message["correlationId"]
    if not isinstance(correlation_id, str) or not CORRELATION_ID_PATTERN.fullmatch(correlation_id):
        raise InvalidEvent("correlationId is not a valid id")
    try:
        occurred = datetime.fromisoformat(str(message["occurredAt"]))
    except ValueError:
        raise InvalidEvent("occurredAt is not an ISO 8601 timestamp") from None
    if occurred.tzinfo is None:
        raise InvalidEvent("occurredAt has no time zone")


def parse_event(raw: str | bytes | dict[str, Any]) -> Event:
    """Turn a message body (JSON text or an already decoded object) into its Event, or raise InvalidEvent."""
    if isinstance(raw, dict):
        message = raw
    else:
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidEvent("body is not JSON") from None
    if not isinstance(message, dict):
        raise InvalidEvent("body is not a JSON object")
    validate_envelope(message)
    cls = EVENT_TYPES[message["eventType"]]
    return cls(
        mysfit_id=message["mysfitId"],
        correlation_id=message["correlationId"],
        event_id=str(message["eventId"]),
        occurred_at=str(message["occurredAt"]),
        schema_version=message["schemaVersion"],
    )
