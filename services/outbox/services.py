"""Appending events to the outbox, inside the transaction that makes the change they report."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from pydantic import BaseModel

from services.bulk_insert import insert_rows
from services.events.envelope import envelope_to_dict, new_envelope
from services.events.registry import payload_data
from services.events.topics import contract_for
from services.outbox.models import OutboxEvent, bucket_of


class OutboxError(RuntimeError):
    """An event that cannot be appended: no open transaction, or a topic that does not carry it."""


def outbox_event(*, tenant_id: str, topic: str, event_type: str, subject: str,
                 aggregate_id: str, aggregate_version: int, payload: BaseModel) -> OutboxEvent:
    """An unsaved outbox row for one event, checked against its topic's contract."""
    contract = contract_for(topic)
    if event_type not in contract.event_types:
        raise OutboxError(f"topic {topic} does not carry {event_type}; see its contract")
    envelope = new_envelope(event_type=event_type, tenant_id=tenant_id, subject=subject,
                            aggregate_id=aggregate_id, aggregate_version=aggregate_version,
                            data=payload_data(event_type, payload))
    return OutboxEvent(
        id=envelope.id,
        tenant_id=tenant_id,
        topic=topic,
        partition_key=envelope.partitionkey,
        bucket=bucket_of(envelope.partitionkey),
        event_type=event_type,
        envelope=envelope_to_dict(envelope),
    )


def outbox_append_many(rows: list[OutboxEvent], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Record many events (made by `outbox_event`) in the caller's transaction, in list order."""
    if not connections[using].in_atomic_block:
        # Without the caller's transaction the events could outlive (or miss) the change they
        # report: the dual write the outbox exists to prevent.
        raise OutboxError("the outbox is written inside the transaction that makes the change")
    insert_rows(rows, using=using)


def outbox_append(*, tenant_id: str, topic: str, event_type: str, subject: str,
                  aggregate_id: str, aggregate_version: int, payload: BaseModel,
                  using: str = DEFAULT_DB_ALIAS) -> OutboxEvent:
    """Record an event in the caller's transaction; the relay publishes it after the commit.

    Call it inside the `transaction.atomic` (or `tenant_transaction`) that changes the aggregate,
    after taking the aggregate's row lock (the version bump does): the event then commits or
    rolls back with the change, and events of one aggregate get increasing outbox sequence
    numbers in the order their transactions commit, which is the order the relay publishes.

    `topic` is a base name from services.events.topics and must list `event_type` in its
    contract; `payload` must be the model registered for `event_type`.
    """
    row = outbox_event(tenant_id=tenant_id, topic=topic, event_type=event_type, subject=subject,
                       aggregate_id=aggregate_id, aggregate_version=aggregate_version,
                       payload=payload)
    outbox_append_many([row], using=using)
    return row
