"""Every change to intake records, each in one transaction.

Views only parse input and call these functions. Each function acts for the principal's tenant:
row-level security hides other tenants' rows, and the look-ups filter by tenant as well, so
another tenant's record answers exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from pydantic import BaseModel
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError

from intake import events
from intake.models import AuditEntry, Centre, Client, GroupSession, MigrationStay, Visit
from intake.names import name_key, probably_same_name
from intake.profiles import client_profile
from services.api.concurrency import VersionConflict
from services.auth.tokens import Principal
from services.bulk_insert import insert_rows
from services.events.pseudonym import client_pseudonym
from services.events.topics import CLIENTS, GROUP_SESSIONS, VISITS
from services.outbox.models import OutboxEvent
from services.outbox.services import outbox_append, outbox_append_many, outbox_event


def _tenant(actor: Principal) -> str:
    if actor.tenant is None:
        raise NotFound("not found")
    return actor.tenant


def _emit(*, topic: str, event_type: str, tenant_id: str, aggregate_id: UUID | str,
          version: int, payload: BaseModel) -> None:
    outbox_append(tenant_id=tenant_id, topic=topic, event_type=event_type,
                  subject=str(aggregate_id), aggregate_id=str(aggregate_id),
                  aggregate_version=version, payload=payload)


def _client_key(client: Client) -> str:
    """Client events are keyed by the pseudonym: the client's id never leaves PostgreSQL."""
    return client_pseudonym(client.tenant_id, client.id)


def _profile(client: Client, on: date,
             stays: list[tuple[str, str]] | None = None) -> events.ClientProfile:
    return client_profile(client, on=on, pseudonym=client_pseudonym(client.tenant_id, client.id),
                          stays=stays)


def visit_event(visit: Visit, event_type: str) -> OutboxEvent:
    """The (unsaved) outbox row reporting `visit` as it is now; `msc replay` rebuilds from it."""
    return outbox_event(
        topic=VISITS.name, event_type=event_type, tenant_id=visit.tenant_id,
        subject=str(visit.id), aggregate_id=str(visit.id), aggregate_version=visit.version,
        payload=events.VisitRecorded(
            visit_id=str(visit.id), centre_id=str(visit.centre_id),
            occurred_at=visit.occurred_at, visit_date=visit.occurred_at.date(),
            channel=visit.channel,
            services=list(visit.services),
            topics=list(visit.topics),
            destinations_discussed=list(visit.destinations_discussed),
            group_session_id=str(visit.group_session_id) if visit.group_session_id else None,
            profile=events.ClientProfile.model_validate(visit.client_profile),
            recorded_at=visit.created_at))


def _centre_for_update(actor: Principal, centre_id: UUID) -> Centre:
    centre = (Centre.objects.select_for_update()
              .filter(tenant_id=_tenant(actor), id=centre_id).first())
    if centre is None:
        raise NotFound("not found")
    return centre


def _check_unique_name(tenant_id: str, name: str, *, exclude: UUID | None = None) -> None:
    same = Centre.objects.filter(tenant_id=tenant_id, name__iexact=name)
    if exclude is not None:
        same = same.exclude(id=exclude)
    if same.exists():
        raise ValidationError({"name": ["a centre with this name exists in your tenant"]})


def centre_create(*, actor: Principal, name: str, municipality_code: str, kind: str,
                  active: bool = True) -> Centre:
    """Open a centre in the actor's tenant; names are unique within a tenant."""
    tenant_id = _tenant(actor)
    with transaction.atomic():
        _check_unique_name(tenant_id, name)
        return Centre.objects.create(tenant_id=tenant_id, name=name,
                                     municipality_code=municipality_code, kind=kind,
                                     active=active)


def centre_update(*, actor: Principal, centre_id: UUID, expected_version: int,
                  changes: dict[str, Any]) -> Centre:
    """Change a centre if nobody changed it since `expected_version` was read."""
    with transaction.atomic():
        centre = _centre_for_update(actor, centre_id)
        if centre.version != expected_version:
            raise VersionConflict(centre.version)
        if "name" in changes:
            _check_unique_name(centre.tenant_id, changes["name"], exclude=centre.id)
        for field_name, value in changes.items():
            setattr(centre, field_name, value)
        centre.version += 1
        centre.save()
        return centre


@dataclass(frozen=True)
class RequestOrigin:
    """Where a request came from, for the audit log."""

    remote_addr: str = ""
    user_agent: str = ""


PERSONAL_FIELDS = ("given_name", "family_name", "birth_year", "birth_date", "phone", "email",
                   "address")
CLIENT_FIELDS = ("given_name", "family_name", "sex", "birth_year", "birth_date", "citizenship",
                 "category", "municipality_code", "urban", "education_level",
                 "employment_status", "occupation_isco", "migration_intention",
                 "preferred_destinations", "permit_status", "phone", "email", "address")


class PossibleDuplicate(APIException):
    """Clients with the same birth date and a similar name exist; `candidates` lists them."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "possible_duplicate"

    def __init__(self, candidates: list[Client]) -> None:
        super().__init__("a client with the same birth date and a similar name exists; "
                         "send confirm_new=true to register a new client anyway")
        self.candidates = candidates

    def extra(self) -> dict[str, Any]:
        return {"candidates": [
            {"id": str(c.id), "given_name": c.given_name, "family_name": c.family_name,
             "birth_year": c.birth_year, "municipality_code": c.municipality_code}
            for c in self.candidates]}


def audit_record(*, actor: Principal, action: str, client_ids: list[UUID], fields: list[str],
                 origin: RequestOrigin) -> None:
    """Who read or changed which personal data of which clients, when and from where."""
    AuditEntry.objects.bulk_create(
        AuditEntry(tenant_id=_tenant(actor), actor_subject=actor.subject,
                   actor_username=actor.username, action=action, client_id=client_id,
                   fields=fields, remote_addr=origin.remote_addr[:64],
                   user_agent=origin.user_agent[:300])
        for client_id in client_ids
    )


def duplicate_candidates(*, tenant_id: str, given_name: str, family_name: str, birth_year: int,
                         birth_date: date | None) -> list[Client]:
    """Clients of the tenant with the same birth date (or year, where only that is known) whose
    names are probably the same, whatever the script, diacritics or order of the names."""
    same_birth = Client.objects.filter(tenant_id=tenant_id, birth_year=birth_year,
                                       erased_at__isnull=True)
    if birth_date is not None:
        same_birth = same_birth.filter(Q(birth_date=birth_date) | Q(birth_date__isnull=True))
    return [c for c in same_birth
            if probably_same_name(c.given_name, c.family_name, given_name, family_name)]


def _set_client_fields(client: Client, data: dict[str, Any]) -> None:
    for name in CLIENT_FIELDS:
        if name in data:
            setattr(client, name, data[name])
    client.name_key = name_key(f"{client.given_name} {client.family_name}")


def _replace_stays(client: Client, stays: list[dict[str, Any]]) -> None:
    MigrationStay.objects.filter(client=client).delete()
    MigrationStay.objects.bulk_create(
        MigrationStay(tenant_id=client.tenant_id, client=client, **stay) for stay in stays)


def _client_for_update(actor: Principal, client_id: UUID) -> Client:
    client = (Client.objects.select_for_update()
              .filter(tenant_id=_tenant(actor), id=client_id, erased_at__isnull=True).first())
    if client is None:
        raise NotFound("not found")
    return client


def client_register(*, actor: Principal, data: dict[str, Any], consent: dict[str, Any],
                    origin: RequestOrigin, confirm_new: bool = False) -> Client:
    """Register a client whose consent is recorded; a probable duplicate needs confirmation."""
    tenant_id = _tenant(actor)
    with transaction.atomic():
        if not confirm_new:
            candidates = duplicate_candidates(
                tenant_id=tenant_id, given_name=data["given_name"],
                family_name=data["family_name"], birth_year=data["birth_year"],
                birth_date=data.get("birth_date"))
            if candidates:
                raise PossibleDuplicate(candidates)
        client = Client(tenant_id=tenant_id, consent_given_at=consent["given_at"],
                        consent_scope=consent["scope"], consent_recorded_by=actor.username,
                        created_by=actor.username, updated_by=actor.username)
        _set_client_fields(client, data)
        client.save()
        _replace_stays(client, data.get("stays", []))
        now = timezone.now()
        _emit(topic=CLIENTS.name, event_type=events.CLIENT_REGISTERED, tenant_id=tenant_id,
              aggregate_id=_client_key(client), version=client.version,
              payload=events.ClientRegistered(profile=_profile(client, now.date()),
                                              registered_at=now))
        audit_record(actor=actor, action="create", client_ids=[client.id],
                     fields=list(PERSONAL_FIELDS), origin=origin)
        return client


def client_update(*, actor: Principal, client_id: UUID, expected_version: int,
                  data: dict[str, Any], origin: RequestOrigin) -> Client:
    """Change a client if nobody changed it since `expected_version` was read."""
    with transaction.atomic():
        client = _client_for_update(actor, client_id)
        if client.version != expected_version:
            raise VersionConflict(client.version)
        changed = [n for n in CLIENT_FIELDS if n in data and getattr(client, n) != data[n]]
        _set_client_fields(client, data)
        if client.birth_date is not None and client.birth_date.year != client.birth_year:
            # A partial update may give one of the two; together they must still agree.
            raise ValidationError({"birth_date": ["does not match birth_year"]})
        if "stays" in data:
            _replace_stays(client, data["stays"])
            changed.append("stays")
        client.version += 1
        client.updated_by = actor.username
        client.save()
        now = timezone.now()
        _emit(topic=CLIENTS.name, event_type=events.CLIENT_UPDATED, tenant_id=client.tenant_id,
              aggregate_id=_client_key(client), version=client.version,
              payload=events.ClientUpdated(profile=_profile(client, now.date()), updated_at=now))
        audit_record(actor=actor, action="update", client_ids=[client.id], fields=changed,
                     origin=origin)
        return client


def client_erase(*, actor: Principal, client_id: UUID, origin: RequestOrigin) -> None:
    """Erase a client's personal data irreversibly; visits remain as anonymous counts."""
    with transaction.atomic():
        client = _client_for_update(actor, client_id)
        client.given_name = client.family_name = client.name_key = ""
        client.birth_year = 0
        client.birth_date = None
        client.phone = client.email = client.address = ""
        client.erased_at = timezone.now()
        client.version += 1
        client.updated_by = actor.username
        client.save()
        MigrationStay.objects.filter(client=client).delete()
        Visit.objects.filter(client=client).update(note="")
        _emit(topic=CLIENTS.name, event_type=events.CLIENT_ERASED, tenant_id=client.tenant_id,
              aggregate_id=_client_key(client), version=client.version,
              payload=events.ClientErased(
                  client_pseudonym=_client_key(client), erased_at=client.erased_at))
        audit_record(actor=actor, action="erase", client_ids=[client.id],
                     fields=list(PERSONAL_FIELDS), origin=origin)


def _centre_of(actor: Principal, centre_id: UUID) -> Centre:
    try:
        return Centre.objects.get(tenant_id=_tenant(actor), id=centre_id, active=True)
    except Centre.DoesNotExist as missing:
        raise ValidationError({"centre_id": ["no such active centre in your tenant"]}) from missing


def _client_of(actor: Principal, client_id: UUID) -> Client:
    try:
        return Client.objects.get(tenant_id=_tenant(actor), id=client_id, erased_at__isnull=True)
    except Client.DoesNotExist as missing:
        raise ValidationError({"client_id": ["no such client in your tenant"]}) from missing


def _stays_of(client: Client) -> list[tuple[str, str]]:
    """(country, purpose) of the client's previous stays: cheaper than loading the models."""
    return list(MigrationStay.objects.filter(client=client).values_list("country", "purpose"))


def new_visit(*, actor: Principal, client: Client, centre: Centre, occurred_at: datetime,
              channel: str, services: list[str], topics: list[str],
              destinations_discussed: list[str], note: str = "",
              stays: list[tuple[str, str]] | None = None) -> Visit:
    """An unsaved visit of `client`, with the client's coded profile on the day of the visit.

    `stays`: the client's previous stays as (country, purpose), when the caller has them.
    """
    return Visit(
        tenant_id=client.tenant_id, client=client, centre=centre,
        counsellor_subject=actor.subject, counsellor_username=actor.username,
        occurred_at=occurred_at, channel=channel, services=sorted(set(services)),
        topics=sorted(set(topics)), destinations_discussed=destinations_discussed, note=note,
        client_profile=_profile(client, occurred_at.date(), stays).model_dump(mode="json"),
    )


def visits_record(visits: list[Visit]) -> None:
    """Save visits made by `new_visit` and their events, in the caller's transaction."""
    insert_rows(visits)
    outbox_append_many([visit_event(visit, events.VISIT_RECORDED) for visit in visits])


def visit_record(*, actor: Principal, client_id: UUID, centre_id: UUID, occurred_at: datetime,
                 channel: str, services: list[str], topics: list[str],
                 destinations_discussed: list[str], note: str = "") -> Visit:
    """Record a visit, keeping the client's coded profile as it is at the time of the visit."""
    # No savepoint: a failure here fails the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        client = _client_of(actor, client_id)
        visit = new_visit(actor=actor, client=client, centre=_centre_of(actor, centre_id),
                          occurred_at=occurred_at, channel=channel, services=services,
                          topics=topics, destinations_discussed=destinations_discussed, note=note,
                          stays=_stays_of(client))
        visits_record([visit])
        return visit


def group_session_event(session: GroupSession, attendee_pseudonyms: list[str]) -> OutboxEvent:
    """The (unsaved) outbox row reporting a held session; `msc replay` rebuilds from it."""
    return outbox_event(
        topic=GROUP_SESSIONS.name, event_type=events.GROUP_SESSION_HELD,
        tenant_id=session.tenant_id, subject=str(session.id), aggregate_id=str(session.id),
        aggregate_version=session.version,
        payload=events.GroupSessionHeld(
            session_id=str(session.id), centre_id=str(session.centre_id), topic=session.topic,
            held_at=session.held_at, partner_institution=session.partner_institution,
            attendee_pseudonyms=attendee_pseudonyms, centre_name=session.centre.name))


def group_session_record(*, actor: Principal, centre_id: UUID, topic: str, held_at: datetime,
                         facilitators: list[str], partner_institution: str,
                         attendee_ids: list[UUID]) -> GroupSession:
    """Record a group session; each attendance counts as a counselling visit of the attendee."""
    with transaction.atomic():
        centre = _centre_of(actor, centre_id)
        attendees = [_client_of(actor, client_id) for client_id in dict.fromkeys(attendee_ids)]
        session = GroupSession.objects.create(
            tenant_id=centre.tenant_id, centre=centre, topic=topic, held_at=held_at,
            facilitators=facilitators, partner_institution=partner_institution,
            created_by=actor.username)
        visits = Visit.objects.bulk_create(
            Visit(tenant_id=centre.tenant_id, client=client, centre=centre,
                  counsellor_subject=actor.subject, counsellor_username=actor.username,
                  occurred_at=held_at, channel="in_person", services=["counselling"],
                  group_session=session,
                  client_profile=_profile(client, held_at.date()).model_dump(mode="json"))
            for client in attendees)
        outbox_append_many([
            group_session_event(session, [v.client_profile["client_pseudonym"] for v in visits]),
            *(visit_event(visit, events.VISIT_RECORDED) for visit in visits)])
        return session


def visit_correct(*, actor: Principal, visit_id: UUID, expected_version: int,
                  changes: dict[str, Any]) -> Visit:
    """Correct a visit; downstream figures count it once, with its new values (new version)."""
    with transaction.atomic():
        visit = (Visit.objects.select_for_update().select_related("client")
                 .filter(tenant_id=_tenant(actor), id=visit_id).first())
        if visit is None:
            raise NotFound("not found")
        if visit.version != expected_version:
            raise VersionConflict(visit.version)
        if not changes:
            raise ValidationError({"non_field_errors": ["nothing to correct"]})
        if "centre_id" in changes:
            visit.centre = _centre_of(actor, changes.pop("centre_id"))
        for name in ("services", "topics"):
            if name in changes:
                changes[name] = sorted(set(changes[name]))
        for name, value in changes.items():
            setattr(visit, name, value)
        if "occurred_at" in changes and visit.client.erased_at is None:
            # The profile is the client's as of the visit day, so a new day means a new age.
            visit.client_profile = _profile(
                visit.client, visit.occurred_at.date()).model_dump(mode="json")
        visit.version += 1
        visit.save()
        outbox_append_many([visit_event(visit, events.VISIT_CORRECTED)])
        return visit
