"""Bulk sync: clients and visits recorded offline, sent in one batch, each item answered alone.

Every item carries a key made on the device. The first time a key arrives its record is created;
afterwards the same key answers `duplicate` with the record's id, so a batch cut off in transit
can be sent again whole. A visit names its client by id, or by the key of a client sent in the
same or an earlier batch. Visits are written in bulk: one query per step, not one per item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction

from intake.models import Centre, Client, SyncItem, Visit
from intake.services import (
    PossibleDuplicate,
    RequestOrigin,
    client_register,
    new_visit,
    visits_record,
)
from services.auth.tokens import Principal

MAX_ITEMS = 1000

CREATED = "created"
DUPLICATE = "duplicate"
POSSIBLE_DUPLICATE = "possible_duplicate"
INVALID = "invalid"


@dataclass(frozen=True)
class PendingItem:
    """An item whose data passed validation; `data` is the serializer's validated data."""

    index: int
    key: str
    kind: str
    data: dict[str, Any]


@dataclass
class Outcome:
    """What became of one item."""

    index: int
    key: str
    kind: str
    status: str
    id: UUID | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)


def sync_batch(*, actor: Principal, items: list[PendingItem],
               origin: RequestOrigin) -> list[Outcome]:
    """Create what is new, answer what was already synced; clients first, then visits.

    Runs in the caller's transaction; each client gets a savepoint of its own, so one client's
    failure leaves the rest of the batch standing.
    """
    tenant_id = actor.tenant
    if tenant_id is None:
        return [Outcome(i.index, i.key, i.kind, INVALID, errors={"tenant": ["no tenant"]})
                for i in items]
    synced = {s.key: s for s in SyncItem.objects.filter(
        tenant_id=tenant_id, key__in=[item.key for item in items])}
    outcomes: list[Outcome] = []
    new_clients: list[PendingItem] = []
    new_visits: list[PendingItem] = []
    for item in items:
        earlier = synced.get(item.key)
        if earlier is None:
            (new_clients if item.kind == SyncItem.Kind.CLIENT else new_visits).append(item)
        elif earlier.kind == item.kind:
            outcomes.append(Outcome(item.index, item.key, item.kind, DUPLICATE, earlier.object_id))
        else:
            outcomes.append(Outcome(item.index, item.key, item.kind, INVALID, errors={
                "key": [f"this key was already used for a {earlier.kind}"]}))
    client_ids = {key: s.object_id for key, s in synced.items() if s.kind == SyncItem.Kind.CLIENT}
    for item in new_clients:
        outcome = _sync_client(actor, tenant_id, item, origin)
        if outcome.id is not None:
            client_ids[item.key] = outcome.id
        outcomes.append(outcome)
    outcomes.extend(_sync_visits(actor, tenant_id, new_visits, client_ids))
    return sorted(outcomes, key=lambda outcome: outcome.index)


def _sync_client(actor: Principal, tenant_id: str, item: PendingItem,
                 origin: RequestOrigin) -> Outcome:
    data = dict(item.data)
    consent = data.pop("consent")
    confirm_new = data.pop("confirm_new", False)
    try:
        with transaction.atomic():
            client = client_register(actor=actor, data=data, consent=consent, origin=origin,
                                     confirm_new=confirm_new)
            SyncItem.objects.create(tenant_id=tenant_id, key=item.key, kind=item.kind,
                                    object_id=client.id, synced_by=actor.username)
    except PossibleDuplicate as duplicate:
        return Outcome(item.index, item.key, item.kind, POSSIBLE_DUPLICATE,
                       errors={"non_field_errors": [str(duplicate.detail)]},
                       candidates=duplicate.extra()["candidates"])
    except IntegrityError:
        # The same key committed by a concurrent batch in the meantime.
        earlier = SyncItem.objects.get(tenant_id=tenant_id, key=item.key)
        return Outcome(item.index, item.key, item.kind, DUPLICATE, earlier.object_id)
    return Outcome(item.index, item.key, item.kind, CREATED, client.id)


def _sync_visits(actor: Principal, tenant_id: str, items: list[PendingItem],
                 client_ids: dict[str, UUID]) -> list[Outcome]:
    if not items:
        return []
    unknown_keys = {i.data["client_key"] for i in items
                    if "client_key" in i.data and i.data["client_key"] not in client_ids}
    client_ids.update({s.key: s.object_id for s in SyncItem.objects.filter(
        tenant_id=tenant_id, key__in=unknown_keys, kind=SyncItem.Kind.CLIENT)})
    wanted = {cid for i in items if (cid := _client_id(i, client_ids)) is not None}
    clients = {c.id: c for c in Client.objects.filter(
        tenant_id=tenant_id, id__in=wanted, erased_at__isnull=True).prefetch_related("stays")}
    centres = {c.id: c for c in Centre.objects.filter(
        tenant_id=tenant_id, id__in={i.data["centre_id"] for i in items}, active=True)}
    outcomes: list[Outcome] = []
    ready: list[tuple[PendingItem, Visit]] = []
    for item in items:
        data = {k: v for k, v in item.data.items() if k not in ("client_id", "client_key")}
        client = clients.get(_client_id(item, client_ids))  # type: ignore[arg-type]
        centre = centres.get(data.pop("centre_id"))
        errors: dict[str, list[str]] = {}
        if client is None:
            errors["client_key" if "client_key" in item.data else "client_id"] = [
                "no such client in your tenant"]
        if centre is None:
            errors["centre_id"] = ["no such active centre in your tenant"]
        if client is None or centre is None:
            outcomes.append(Outcome(item.index, item.key, item.kind, INVALID, errors=errors))
            continue
        ready.append((item, new_visit(actor=actor, client=client, centre=centre, **data)))
    claimed = _claim(tenant_id, actor.username, [(item.key, visit.id) for item, visit in ready])
    visits_record([visit for item, visit in ready if item.key in claimed])
    taken = [item for item, _visit in ready if item.key not in claimed]
    earlier = {s.key: s.object_id for s in SyncItem.objects.filter(
        tenant_id=tenant_id, key__in=[item.key for item in taken])}
    for item, visit in ready:
        if item.key in claimed:
            outcomes.append(Outcome(item.index, item.key, item.kind, CREATED, visit.id))
        else:
            outcomes.append(Outcome(item.index, item.key, item.kind, DUPLICATE,
                                    earlier.get(item.key)))
    return outcomes


def _client_id(item: PendingItem, client_ids: dict[str, UUID]) -> UUID | None:
    if "client_key" in item.data:
        return client_ids.get(item.data["client_key"])
    client_id: UUID = item.data["client_id"]
    return client_id


def _claim(tenant_id: str, username: str, keys: list[tuple[str, UUID]]) -> set[str]:
    """Record the keys not yet synced; the ones a concurrent batch took first are left out.

    `ON CONFLICT DO NOTHING` waits for a concurrent transaction holding the same key and then
    skips it, so two batches racing with one key create its record once.
    """
    if not keys:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO intake_syncitem (tenant_id, key, kind, object_id, synced_by, synced_at)"
            " SELECT %s, k, %s, o, %s, now() FROM unnest(%s::text[], %s::uuid[]) AS t(k, o)"
            " ON CONFLICT (tenant_id, key) DO NOTHING RETURNING key",
            [tenant_id, SyncItem.Kind.VISIT, username, [k for k, _ in keys],
             [o for _, o in keys]])
        return {row[0] for row in cursor.fetchall()}
