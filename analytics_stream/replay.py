"""`msc replay`: rebuild ClickHouse's facts from PostgreSQL, the source of truth.

Every visit, group session and sent referral is turned into the event its service would publish
for it now (the same `intake.services` and `referrals.services` builders), and that event into
rows by the same processors the stream worker runs, so a replayed fact cannot differ from a
streamed one. A referral's event is that of its latest step, at the time of that step.

Two ways, neither stopping the read API:
- upsert (default): the facts are written into the live tables. Facts keep the version of their
  record, so a row already there is replaced by an identical one and nothing is counted twice.
- `--rebuild`: the facts are written into fresh tables which then replace the live ones in one
  RENAME; rows the stream worker wrote to the live tables meanwhile are copied over after the
  swap. Use it when ClickHouse holds rows PostgreSQL does not (after a bug, or a restore).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from clickhouse_driver import Client
from django.db.models import Max
from django.db.models.functions import Coalesce

from analytics_stream.clickhouse.client import clickhouse_client
from analytics_stream.clickhouse.sql import checked_identifier
from analytics_stream.clickhouse.sql.referrals import (
    REFERRAL_FACTS_TABLE,
    referral_facts_table_sql,
)
from analytics_stream.clickhouse.sql.sessions import (
    GROUP_SESSION_FACTS_TABLE,
    group_session_facts_table_sql,
)
from analytics_stream.clickhouse.sql.visits import VISIT_FACTS_TABLE, visit_facts_table_sql
from analytics_stream.processors import Rows, process_message
from analytics_stream.sink import ClickHouseSink
from intake import events
from intake.models import GroupSession, Visit
from intake.services import group_session_event, visit_event
from referrals.models import Referral
from referrals.services import referral_event
from referrals.workflow import TRANSITIONS, State
from services.outbox.models import OutboxEvent
from services.tenancy.context import tenant_transaction
from services.tenancy.models import TENANT_CODES

CHUNK = 5000
TABLE_DDL = {VISIT_FACTS_TABLE: visit_facts_table_sql,
             GROUP_SESSION_FACTS_TABLE: group_session_facts_table_sql,
             REFERRAL_FACTS_TABLE: referral_facts_table_sql}

# The step that leads into each state: every state has exactly one.
_ACTION_INTO = {transition.target: action for action, transition in TRANSITIONS.items()}


@dataclass
class ReplayResult:
    visits: int = 0
    sessions: int = 0
    referrals: int = 0
    seconds: float = 0.0


def _rows(outbox_rows: list[OutboxEvent]) -> Rows:
    rows = Rows()
    for row in outbox_rows:
        processed = process_message(json.dumps(row.envelope).encode())
        if not isinstance(processed, Rows):
            raise RuntimeError(f"a service built an undecodable event: {processed.reason}")
        rows.extend(processed)
    return rows


def _tenant_events(tenant_id: str) -> Iterator[list[OutboxEvent]]:
    """The events of one tenant's visits, sessions and sent referrals, in chunks."""
    with tenant_transaction(tenant_id):
        chunk: list[OutboxEvent] = []
        for event in _events(tenant_id):
            chunk.append(event)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _events(tenant_id: str) -> Iterator[OutboxEvent]:
    """Each record's event as its service would publish it now (inside the tenant's context)."""
    visits = Visit.objects.filter(tenant_id=tenant_id).order_by("id")
    for visit in visits.iterator(chunk_size=CHUNK):
        kind = events.VISIT_RECORDED if visit.version == 1 else events.VISIT_CORRECTED
        yield visit_event(visit, kind)
    attendees: dict[UUID, list[str]] = defaultdict(list)
    attendances = Visit.objects.filter(tenant_id=tenant_id, group_session__isnull=False)
    for session_id, profile in attendances.values_list("group_session_id", "client_profile"):
        attendees[session_id].append(str(profile["client_pseudonym"]))
    sessions = GroupSession.objects.filter(tenant_id=tenant_id).select_related("centre")
    for session in sessions.iterator(chunk_size=CHUNK):
        yield group_session_event(session, attendees[session.id])
    # Only sent referrals have facts: a draft cancelled before sending has none.
    referrals = (Referral.objects.filter(tenant_id=tenant_id, sent_at__isnull=False)
                 .select_related("organization", "service", "need")
                 .annotate(last_step_at=Coalesce(Max("transitions__at"), "sent_at"))
                 .order_by("id"))
    for referral in referrals.iterator(chunk_size=CHUNK):
        yield referral_event(referral, _ACTION_INTO[State(referral.state)], referral.last_step_at)


def replay(*, database: str | None = None, rebuild: bool = False) -> ReplayResult:
    """Write every fact PostgreSQL implies into ClickHouse (see the module's description)."""
    started = time.monotonic()
    client = clickhouse_client(database)
    live_db = checked_identifier(str(client.connection.database))
    target_suffix = "_rebuild" if rebuild else ""
    if rebuild:
        for table, ddl in TABLE_DDL.items():
            client.execute(f"DROP TABLE IF EXISTS {live_db}.{table}_rebuild")
            client.execute(ddl(live_db, f"{table}_rebuild"))
    # ClickHouse's now() is the server's local time on this host; a margin makes up for clocks.
    swap_from = datetime.now().replace(microsecond=0) - timedelta(seconds=5)  # noqa: DTZ005
    sink = ClickHouseSink(database, table_suffix=target_suffix)
    result = ReplayResult()
    for tenant_id in sorted(TENANT_CODES):
        for chunk in _tenant_events(tenant_id):
            rows = _rows(chunk)
            result.visits += len(rows.by_table.get(VISIT_FACTS_TABLE, []))
            result.sessions += len(rows.by_table.get(GROUP_SESSION_FACTS_TABLE, []))
            result.referrals += len(rows.by_table.get(REFERRAL_FACTS_TABLE, []))
            sink.insert(rows)
    if rebuild:
        _swap_and_catch_up(client, live_db, swap_from)
    result.seconds = time.monotonic() - started
    return result


def _swap_and_catch_up(client: Client, live_db: str, since: datetime) -> None:
    for table in TABLE_DDL:
        client.execute(f"RENAME TABLE {live_db}.{table} TO {live_db}.{table}_replaced, "
                       f"{live_db}.{table}_rebuild TO {live_db}.{table}")
        # What the stream worker wrote while the rebuild ran is newer than the snapshot.
        source = f"{live_db}.{table}_replaced"
        copy = f"INSERT INTO {live_db}.{table} SELECT * FROM {source} WHERE ingested_at >= %(since)s"  # noqa: S608, E501 - checked identifiers
        client.execute(copy, {"since": since})
        client.execute(f"DROP TABLE {live_db}.{table}_replaced")
