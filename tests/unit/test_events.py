from __future__ import annotations

import json

import pytest

from mysfits_common.events import AdoptionRequested, InvalidEvent, LikeRequested, parse_event


def test_an_event_survives_the_round_trip_through_json() -> None:
    event = LikeRequested(mysfit_id="abc-123", correlation_id="corr-1")

    parsed = parse_event(event.to_json())

    assert parsed == event
    assert isinstance(parsed, LikeRequested)


def test_the_envelope_carries_the_contract_fields() -> None:
    message = AdoptionRequested(mysfit_id="abc").to_message()

    assert set(message) == {"eventId", "eventType", "schemaVersion", "occurredAt", "mysfitId", "correlationId"}
    assert message["eventType"] == "AdoptionRequested"
    assert message["schemaVersion"] == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"schemaVersion": 2}, "schemaVersion"),
        ({"schemaVersion": True}, "schemaVersion"),
        ({"eventType": "LikeDeleted"}, "eventType"),
        ({"eventId": "not-a-uuid"}, "eventId"),
        ({"mysfitId": "../etc/passwd"}, "mysfitId"),
        ({"mysfitId": 7}, "mysfitId"),
        ({"occurredAt": "yesterday"}, "occurredAt"),
        ({"occurredAt": "2026-01-01T00:00:00"}, "time zone"),
        ({"correlationId": "has spaces"}, "correlationId"),
        ({"eventType": {}}, "eventType"),
        ({"eventId": "urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427"}, "canonical"),
        ({"eventId": "1B4E28BA-2FA1-41D2-883F-0016D3CCA427"}, "canonical"),
        ({"mysfitId": "abc\n"}, "mysfitId"),
    ],
)
def test_an_invalid_envelope_is_rejected(change: dict[str, object], reason: str) -> None:
    message = {**LikeRequested(mysfit_id="abc").to_message(), **change}

    with pytest.raises(InvalidEvent, match=reason):
        parse_event(json.dumps(message))


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]", '{"eventId": "x"}', b"\xff\xfe"])
def test_a_body_that_is_not_an_envelope_is_a_poison_message(body: str | bytes) -> None:
    with pytest.raises(InvalidEvent):
        parse_event(body)


def test_an_event_cannot_be_built_invalid() -> None:
    with pytest.raises(InvalidEvent):
        LikeRequested(mysfit_id="no spaces allowed")
