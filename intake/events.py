"""Payloads of the events intake emits. Pseudonymised by construction: no names, contacts,
addresses or birth dates, only a keyed client pseudonym and coded attributes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class GroupSessionHeld(_Payload):
    session_id: str
    centre_id: str
    topic: str
    held_at: datetime
    partner_institution: str
    attendee_pseudonyms: list[str]
