"""The payload registry: every example of every type decodes; bad messages say why they are bad."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from services.events.envelope import Envelope, envelope_from_json, envelope_to_json, new_envelope
from services.events.registry import (
    UndecodableEvent,
    decode_event,
    example_messages,
    payload_model,
    register_event,
    registered_types,
    unregister_event,
)

SAMPLE_TYPE = "org.msc.testing.sample.happened.v1"


class SamplePayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pseudonym: str
    count: int = Field(ge=0)


@pytest.fixture(autouse=True)
def sample_type() -> Iterator[None]:
    """A type of the tests' own, so the registry is exercised even before apps register theirs."""
    register_event(SAMPLE_TYPE, SamplePayload, examples=[{"pseudonym": "ab12", "count": 3}])
    yield
    unregister_event(SAMPLE_TYPE)


def _message(**changes: Any) -> bytes:
    document = json.loads(example_messages(SAMPLE_TYPE)[0])
    document.update(changes)
    return json.dumps(document).encode()


def test_every_example_of_every_registered_type_decodes() -> None:
    types = registered_types()
    assert SAMPLE_TYPE in {entry.name for entry in types}
    for entry in types:
        for raw, example in zip(example_messages(entry.name), entry.examples, strict=True):
            envelope, payload = decode_event(raw)
            assert envelope.type == entry.name
            assert isinstance(payload, entry.model)
            assert payload == entry.model.model_validate(example)


def test_envelope_round_trips_with_utc_time_and_extensions() -> None:
    tirana = timezone(timedelta(hours=2))
    envelope = new_envelope(event_type=SAMPLE_TYPE, tenant_id="AL", subject="sample/1",
                            aggregate_id="agg-1", aggregate_version=4,
                            data={"pseudonym": "ab12", "count": 1},
                            time=datetime(2008, 9, 30, 14, 0, tzinfo=tirana))
    wire = json.loads(envelope_to_json(envelope))
    assert wire["specversion"] == "1.0"
    assert wire["source"] == "/msc/testing"
    assert wire["datacontenttype"] == "application/json"
    assert wire["time"] == "2008-09-30T12:00:00Z"
    assert (wire["tenantid"], wire["partitionkey"], wire["aggregateversion"]) == (
        "AL", "AL:agg-1", 4)
    assert envelope_from_json(envelope_to_json(envelope)) == envelope


def test_partition_key_of_another_tenant_is_rejected() -> None:
    with pytest.raises(UndecodableEvent, match="partitionkey"):
        decode_event(_message(partitionkey="RS:agg-1"))


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b""])
def test_bad_json_is_undecodable(raw: bytes) -> None:
    with pytest.raises(UndecodableEvent) as caught:
        decode_event(raw)
    assert caught.value.reason.startswith("not JSON")


def test_unknown_type_is_undecodable() -> None:
    with pytest.raises(UndecodableEvent) as caught:
        decode_event(_message(type="org.msc.testing.nobody.registered.v1"))
    assert caught.value.reason == "unknown event type 'org.msc.testing.nobody.registered.v1'"


def test_invalid_payload_is_undecodable_and_does_not_echo_the_input() -> None:
    with pytest.raises(UndecodableEvent) as caught:
        decode_event(_message(data={"pseudonym": "secret-value", "count": -1}))
    assert caught.value.reason.startswith(f"invalid {SAMPLE_TYPE} payload: count:")
    assert "secret-value" not in caught.value.reason


def test_missing_envelope_attribute_is_undecodable() -> None:
    document = json.loads(example_messages(SAMPLE_TYPE)[0])
    del document["id"]
    with pytest.raises(UndecodableEvent, match="invalid envelope: id: Field required"):
        decode_event(json.dumps(document).encode())


def test_registration_needs_a_valid_example() -> None:
    with pytest.raises(ValueError, match="at least one example"):
        register_event("org.msc.testing.empty.v1", SamplePayload, examples=[])
    with pytest.raises(ValueError, match="example 0 is invalid"):
        register_event("org.msc.testing.bad.v1", SamplePayload, examples=[{"count": 1}])
    with pytest.raises(ValueError, match="already registered"):
        register_event(SAMPLE_TYPE, Envelope, examples=[json.loads(example_messages(
            SAMPLE_TYPE)[0])])
    assert payload_model(SAMPLE_TYPE) is SamplePayload


def test_event_ids_are_uuids_and_times_aware() -> None:
    envelope, _ = decode_event(example_messages(SAMPLE_TYPE)[0])
    assert isinstance(envelope.id, uuid.UUID)
    assert envelope.time.tzinfo is not None
    assert envelope.time.utcoffset() == timedelta(0)
    assert envelope.time == datetime(2008, 9, 30, 12, 0, tzinfo=UTC)
