"""Pure processors: one Kafka message in, ClickHouse rows (or the reason it was rejected) out.

No I/O here, so every rule about what a message becomes is tested without a broker or a
database; the agents in `analytics_stream.agents` only batch, insert and acknowledge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from analytics_stream.clickhouse.sql.referrals import REFERRAL_FACT_COLUMNS, REFERRAL_FACTS_TABLE
from analytics_stream.clickhouse.sql.sessions import (
    GROUP_SESSION_FACT_COLUMNS,
    GROUP_SESSION_FACTS_TABLE,
)
from analytics_stream.clickhouse.sql.visits import VISIT_FACT_COLUMNS, VISIT_FACTS_TABLE
from intake import events as intake_events
from referrals import events as referral_events
from services.events.envelope import Envelope
from services.events.registry import UndecodableEvent, UnknownEventType, decode_event

VisitFactRow = tuple[Any, ...]


@dataclass(frozen=True)
class Rejected:
    """A message no processor can use, with the reason; it goes to the dead-letter topic."""

    reason: str


@dataclass
class Rows:
    """Rows per ClickHouse table that one or more messages became."""

    by_table: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.by_table.setdefault(table, []).append(row)

    def extend(self, other: Rows) -> None:
        for table, rows in other.by_table.items():
            self.by_table.setdefault(table, []).extend(rows)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.by_table.values())


def _naive_utc(moment: datetime) -> datetime:
    """ClickHouse DateTime columns take naive UTC (the client sends no zone)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _keyed(envelope: Envelope, **aggregate: str) -> dict[str, Any]:
    """The columns every fact row starts with: tenant, the aggregate's id, its version (which
    decides the row that wins) and the event's id."""
    return {"tenant_id": envelope.tenantid, **aggregate, "version": envelope.aggregateversion,
            "event_id": str(envelope.id)}


def _in_order(row: dict[str, Any], columns: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    """`row` as the insert wants it: values in the table's column order, none missing."""
    return tuple(row[name] for name, _ in columns)


def visit_fact_row(envelope: Envelope, visit: intake_events.VisitRecorded) -> VisitFactRow:
    """The `visit_facts` row of one visit event, in `VISIT_FACT_COLUMNS` order."""
    profile = visit.profile
    recorded = visit.recorded_at or visit.occurred_at
    row = {
        **_keyed(envelope, visit_id=visit.visit_id),
        "recorded_date": recorded.astimezone(UTC).date(),
        "visit_date": visit.visit_date,
        "occurred_at": _naive_utc(visit.occurred_at),
        "centre_id": visit.centre_id,
        "channel": visit.channel,
        "services": list(visit.services),
        "topics": list(visit.topics),
        "destinations_discussed": list(visit.destinations_discussed),
        "group_session_id": visit.group_session_id or "",
        "client_pseudonym": profile.client_pseudonym,
        "client_category": profile.category,
        "sex": profile.sex,
        "age_years": min(profile.age_years, 255),
        "age_band": profile.age_band,
        "citizenship": profile.citizenship,
        "municipality_code": profile.municipality_code,
        "urban": int(profile.urban),
        "education_level": profile.education_level,
        "employment_status": profile.employment_status,
        "occupation_isco": profile.occupation_isco,
        "previous_stay_countries": [stay.country for stay in profile.previous_stays],
        "previous_stay_purposes": [stay.purpose for stay in profile.previous_stays],
        "migration_intention": profile.migration_intention,
        "preferred_destinations": list(profile.preferred_destinations),
        "permit_status": profile.permit_status,
    }
    return _in_order(row, VISIT_FACT_COLUMNS)


def group_session_fact_row(envelope: Envelope,
                           session: intake_events.GroupSessionHeld) -> tuple[Any, ...]:
    """The `group_session_facts` row of one session, in `GROUP_SESSION_FACT_COLUMNS` order."""
    row = {
        **_keyed(envelope, session_id=session.session_id),
        "held_date": session.held_at.astimezone(UTC).date(),
        "held_at": _naive_utc(session.held_at),
        "centre_id": session.centre_id,
        "centre_name": session.centre_name,
        "topic": session.topic,
        "partner_institution": session.partner_institution,
        "attendees": len(session.attendee_pseudonyms),
    }
    return _in_order(row, GROUP_SESSION_FACT_COLUMNS)


def referral_fact_row(envelope: Envelope,
                      referral: referral_events.ReferralChanged) -> tuple[Any, ...] | None:
    """The `referral_facts` row of one referral step, in `REFERRAL_FACT_COLUMNS` order.

    None for a referral that was never sent (a draft cancelled before sending): it is no
    referral in the statistics, and without a sending date it would have no partition.
    """
    if referral.sent_at is None:
        return None
    row = {
        **_keyed(envelope, referral_id=referral.referral_id),
        "sent_date": referral.sent_at.astimezone(UTC).date(),
        "sent_at": _naive_utc(referral.sent_at),
        "occurred_at": _naive_utc(referral.occurred_at),
        "answered_at": None if referral.answered_at is None
        else _naive_utc(referral.answered_at),
        "action": referral.action,
        "state": referral.state,
        "client_pseudonym": referral.client_pseudonym,
        "organization_id": referral.organization_id,
        "organization_name": referral.organization_name,
        "service_id": referral.service_id,
        "service_name": referral.service_name,
        "need": referral.need,
        "suggestion_rank": referral.suggestion_rank or 0,
        "outcome": referral.outcome,
    }
    return _in_order(row, REFERRAL_FACT_COLUMNS)


def process_message(raw: bytes | None) -> Rows | Rejected:
    """What one message on a source topic becomes.

    Types without a processor (client events) become no rows: they are
    consumed and acknowledged, and the statistics read what they need from the visit facts.
    So does a step of a referral that was never sent.
    """
    if raw is None:
        return Rejected("empty message (no value)")
    try:
        envelope, payload = decode_event(raw)
    except (UndecodableEvent, UnknownEventType) as exc:
        return Rejected(str(exc))
    rows = Rows()
    if isinstance(payload, intake_events.VisitRecorded):
        rows.add(VISIT_FACTS_TABLE, visit_fact_row(envelope, payload))
    elif isinstance(payload, intake_events.GroupSessionHeld):
        rows.add(GROUP_SESSION_FACTS_TABLE, group_session_fact_row(envelope, payload))
    elif isinstance(payload, referral_events.ReferralChanged):
        referral = referral_fact_row(envelope, payload)
        if referral is not None:
            rows.add(REFERRAL_FACTS_TABLE, referral)
    return rows

