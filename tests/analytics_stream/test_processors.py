"""What each message becomes, without a broker or ClickHouse."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACT_COLUMNS, REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.sessions import (
    GROUP_SESSION_FACT_COLUMNS,
    GROUP_SESSION_FACTS_TABLE,
)
from analytics_stream.clickhouse.sql.visits import VISIT_FACT_COLUMNS, VISIT_FACTS_TABLE
from analytics_stream.processors import Rejected, Rows, process_message
from intake import events
from referrals.events import REFERRAL_EVENT_TYPES
from referrals.workflow import Action
from services.events.registry import example_messages


def _row(raw: bytes) -> dict[str, object]:
    rows = process_message(raw)
    assert isinstance(rows, Rows)
    [row] = rows.by_table[VISIT_FACTS_TABLE]
    return dict(zip([name for name, _ in VISIT_FACT_COLUMNS], row, strict=True))


def test_a_visit_event_becomes_one_fact_row_in_column_order() -> None:
    [raw] = example_messages(events.VISIT_RECORDED)
    row = _row(raw)
    envelope = json.loads(raw)
    assert row["event_id"] == envelope["id"]
    assert (row["tenant_id"], row["version"]) == ("AL", 1)
    assert row["visit_date"] == date(2008, 7, 1)
    assert row["recorded_date"] == date(2008, 7, 1)  # no recorded_at: the visit's own time
    assert row["occurred_at"] == datetime(2008, 7, 1, 10, 0, tzinfo=UTC).replace(tzinfo=None)
    assert row["previous_stay_countries"] == ["DE"]
    assert row["previous_stay_purposes"] == ["asylum"]
    assert (row["urban"], row["age_years"], row["group_session_id"]) == (1, 31, "")


def test_a_correction_keeps_the_partition_of_the_first_recording() -> None:
    [raw] = example_messages(events.VISIT_CORRECTED)
    message = json.loads(raw)
    message["aggregateversion"] = 2
    message["data"]["occurred_at"] = "2008-09-03T08:00:00Z"
    message["data"]["visit_date"] = "2008-09-03"
    message["data"]["recorded_at"] = datetime(2008, 7, 1, 10, 5, tzinfo=UTC).isoformat()
    row = _row(json.dumps(message).encode())
    assert (row["version"], row["visit_date"], row["recorded_date"]) == (
        2, date(2008, 9, 3), date(2008, 7, 1))


def test_a_group_session_becomes_one_row_with_its_size() -> None:
    [raw] = example_messages(events.GROUP_SESSION_HELD)
    rows = process_message(raw)
    assert isinstance(rows, Rows)
    [row] = rows.by_table[GROUP_SESSION_FACTS_TABLE]
    named = dict(zip([name for name, _ in GROUP_SESSION_FACT_COLUMNS], row, strict=True))
    assert named["attendees"] == len(json.loads(raw)["data"]["attendee_pseudonyms"])
    assert named["topic"] == json.loads(raw)["data"]["topic"]


def _referral_row(message: dict[str, object]) -> dict[str, object]:
    rows = process_message(json.dumps(message).encode())
    assert isinstance(rows, Rows)
    [row] = rows.by_table[REFERRAL_FACTS_TABLE]
    return dict(zip([name for name, _ in REFERRAL_FACT_COLUMNS], row, strict=True))


def test_a_referral_step_becomes_one_fact_row_keyed_by_referral_and_version() -> None:
    [raw] = example_messages(REFERRAL_EVENT_TYPES[Action.ACCEPT])
    message = json.loads(raw)
    message["aggregateversion"] = 3
    row = _referral_row(message)
    data = message["data"]
    assert (row["tenant_id"], row["referral_id"], row["version"]) == (
        "AL", data["referral_id"], 3)
    assert row["event_id"] == message["id"]
    assert (row["state"], row["action"], row["need"]) == (
        "accepted", "accept", "skills:language-course")
    # Partitioned by the month it was sent, which no later step changes.
    assert (row["sent_date"], row["sent_at"]) == (
        date(2008, 9, 1), datetime(2008, 9, 1, 10, tzinfo=UTC).replace(tzinfo=None))
    assert row["answered_at"] == datetime(2008, 9, 2, 9, tzinfo=UTC).replace(tzinfo=None)
    assert (row["suggestion_rank"], row["organization_name"]) == (1, data["organization_name"])


def test_every_referral_step_is_a_row_and_rank_outside_the_suggestions_is_zero() -> None:
    for event_type in REFERRAL_EVENT_TYPES.values():
        [raw] = example_messages(event_type)
        message = json.loads(raw)
        message["data"]["suggestion_rank"] = None
        row = _referral_row(message)
        assert row["state"] == message["data"]["state"]
        assert row["suggestion_rank"] == 0
        assert (row["answered_at"] is None) == (message["data"]["answered_at"] is None)


def test_a_draft_cancelled_before_sending_is_no_referral() -> None:
    [raw] = example_messages(REFERRAL_EVENT_TYPES[Action.CANCEL])
    message = json.loads(raw)
    message["data"].update(sent_at=None, answered_at=None)
    rows = process_message(json.dumps(message).encode())
    assert isinstance(rows, Rows) and len(rows) == 0


def test_client_events_become_no_rows() -> None:
    for event_type in (events.CLIENT_REGISTERED, events.CLIENT_ERASED):
        for raw in example_messages(event_type):
            outcome = process_message(raw)
            assert isinstance(outcome, Rows) and len(outcome) == 0


def test_undecodable_messages_are_rejected_with_the_reason() -> None:
    [raw] = example_messages(events.VISIT_RECORDED)
    broken = json.loads(raw)
    broken["data"]["services"] = []
    unknown = {**json.loads(raw), "type": "org.msc.intake.visit.teleported.v1"}
    cases = {b"not json": "not JSON", json.dumps(broken).encode(): "services",
             json.dumps(unknown).encode(): "unknown event type"}
    for message, reason in cases.items():
        outcome = process_message(message)
        assert isinstance(outcome, Rejected), message
        assert reason in outcome.reason
    assert process_message(None) == Rejected("empty message (no value)")
