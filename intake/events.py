"""Payloads of the events intake emits. Pseudonymised by construction: no names, contacts,
addresses or birth dates, only a keyed client pseudonym and coded attributes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.events.registry import register_event

CLIENT_REGISTERED = "org.msc.intake.client.registered.v1"
CLIENT_UPDATED = "org.msc.intake.client.updated.v1"
CLIENT_ERASED = "org.msc.intake.client.erased.v1"
VISIT_RECORDED = "org.msc.intake.visit.recorded.v1"
VISIT_CORRECTED = "org.msc.intake.visit.corrected.v1"
GROUP_SESSION_HELD = "org.msc.intake.group-session.held.v1"

CountryCode = str


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PreviousStay(_Payload):
    country: CountryCode = Field(min_length=2, max_length=2)
    purpose: Literal["work", "asylum", "study", "family", "other"]


class ClientProfile(_Payload):
    """A client's coded attributes at one moment: what statistics are computed from."""

    client_pseudonym: str
    category: Literal["national", "returnee", "immigrant"]
    sex: Literal["female", "male", "other"]
    age_years: int = Field(ge=0, le=130)
    age_band: str
    citizenship: CountryCode
    municipality_code: str
    urban: bool
    education_level: str
    employment_status: str
    occupation_isco: str
    previous_stays: list[PreviousStay]
    migration_intention: str
    preferred_destinations: list[CountryCode]
    permit_status: str


class ClientRegistered(_Payload):
    profile: ClientProfile
    registered_at: datetime


class ClientUpdated(_Payload):
    profile: ClientProfile
    updated_at: datetime


class ClientErased(_Payload):
    client_pseudonym: str
    erased_at: datetime


class VisitRecorded(_Payload):
    """A visit as recorded, or as corrected (same shape, higher aggregate version)."""

    visit_id: str
    centre_id: str
    occurred_at: datetime
    visit_date: date
    channel: Literal["in_person", "phone", "email", "online"]
    services: list[Literal["information", "counselling", "referral"]] = Field(min_length=1)
    topics: list[str]
    destinations_discussed: list[CountryCode]
    group_session_id: str | None
    profile: ClientProfile
    # When the visit was first recorded: a correction keeps it, so it places every version of a
    # visit in the same ClickHouse partition (None in events written before it existed).
    recorded_at: datetime | None = None


class GroupSessionHeld(_Payload):
    session_id: str
    centre_id: str
    topic: str
    held_at: datetime
    partner_institution: str
    attendee_pseudonyms: list[str]
    # The centre's name, so the regional report can say where sessions were held.
    centre_name: str = ""


_PROFILE_EXAMPLE: dict[str, object] = {
    "client_pseudonym": "9f2c" * 16, "category": "national", "sex": "male", "age_years": 31,
    "age_band": "25-34", "citizenship": "XK", "municipality_code": "XK-01", "urban": True,
    "education_level": "isced3", "employment_status": "unemployed", "occupation_isco": "7",
    "previous_stays": [{"country": "DE", "purpose": "asylum"}],
    "migration_intention": "labour", "preferred_destinations": ["IT", "DE"],
    "permit_status": "",
}
_VISIT_EXAMPLE: dict[str, object] = {
    "visit_id": "6f1d2f0e-2c1b-4a53-9a53-5b1b1c0f7a10",
    "centre_id": "0b8a7c36-4e59-4c55-8d0e-4f3f6e2f1a22",
    "occurred_at": "2008-07-01T10:00:00Z", "visit_date": "2008-07-01", "channel": "in_person",
    "services": ["information"], "topics": ["work_permits"], "destinations_discussed": ["IT"],
    "group_session_id": None, "profile": _PROFILE_EXAMPLE,
}

register_event(CLIENT_REGISTERED, ClientRegistered, examples=[
    {"profile": _PROFILE_EXAMPLE, "registered_at": "2008-07-01T09:55:00Z"}])
register_event(CLIENT_UPDATED, ClientUpdated, examples=[
    {"profile": _PROFILE_EXAMPLE, "updated_at": "2008-07-02T09:55:00Z"}])
register_event(CLIENT_ERASED, ClientErased, examples=[
    {"client_pseudonym": "9f2c" * 16, "erased_at": "2009-01-01T12:00:00Z"}])
register_event(VISIT_RECORDED, VisitRecorded, examples=[_VISIT_EXAMPLE])
register_event(VISIT_CORRECTED, VisitRecorded, examples=[
    {**_VISIT_EXAMPLE, "services": ["information", "counselling"]}])
register_event(GROUP_SESSION_HELD, GroupSessionHeld, examples=[{
    "session_id": "1c6b7a3e-0a3f-4a3b-8f0f-6b0b7e5e2d11",
    "centre_id": "0b8a7c36-4e59-4c55-8d0e-4f3f6e2f1a22", "topic": "CV preparation",
    "held_at": "2008-08-12T14:00:00Z", "partner_institution": "Bitola training centre",
    "attendee_pseudonyms": ["9f2c" * 16]}])
