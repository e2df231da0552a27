"""Random visits with every kind of history the statistics must get right, for the tests that
compare ClickHouse's counts with the pure figures.

Each visit has one to three versions (a correction may move it to another day, in or out of the
period, to another centre, change its services or the client's profile); some versions are
delivered twice. All versions of a visit share the day it was first recorded, as the stream
worker's rows do. Clients come back, across tenants pseudonyms collide on purpose, some visits
are group-session attendances, and a few sessions are not (yet) known to the statistics.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from analytics_stream.figures import VisitRecord

TENANTS = ("AL", "MK", "RS")
CENTRES = {"AL": ("al-c1", "al-c2"), "MK": ("mk-c1",), "RS": ("rs-c1", "rs-c2")}
CENTRE_NAMES = {"al-c1": "Tirana", "al-c2": "Durrës", "mk-c1": "Skopje", "rs-c1": "Beograd"}
SERVICES = (("information",), ("counselling",), ("information", "counselling"),
            ("referral", "information"), ("counselling", "referral"))
COUNTRIES = ("DE", "AT", "IT", "US", "CA", "GR")
PURPOSES = ("work", "study", "family", "asylum", "other")
TOPICS = ("CV preparation", "Working in Germany", "Pre-departure")
FIRST_DAY = date(2025, 12, 20)
DAYS = 120


@dataclass(frozen=True)
class VisitVersion:
    """One row as the stream worker writes it: the visit as it stood at `version`."""

    visit: VisitRecord
    version: int
    recorded_date: date


@dataclass(frozen=True)
class Session:
    tenant_id: str
    session_id: str
    centre_id: str
    topic: str


def _profile(rnd: random.Random) -> dict[str, object]:
    category = rnd.choice(("national", "national", "returnee", "immigrant"))
    stays = tuple((rnd.choice(COUNTRIES), rnd.choice(PURPOSES))
                  for _ in range(rnd.choice((0, 0, 1, 2, 3))))
    return {
        "category": category, "sex": rnd.choice(("male", "female")),
        "age_years": rnd.randint(16, 70), "urban": rnd.random() < 0.6,
        "employment_status": rnd.choice(("unemployed", "employed", "student", "inactive")),
        "previous_stays": stays,
        "migration_intention": rnd.choice(("labour", "study", "none", "undecided")),
        "preferred_destinations": tuple(rnd.sample(COUNTRIES, rnd.choice((0, 1, 2, 3)))),
        "permit_status": rnd.choice(("", "work_permit", "residence_permit"))
        if category == "immigrant" else "",
    }


def visit_mix(seed: int, visits: int = 400) -> tuple[list[VisitVersion], list[Session]]:
    """Rows of `visits` visits (with their versions and redeliveries) and the known sessions."""
    rnd = random.Random(seed)
    sessions = [Session(tenant, f"{tenant}-s{n}", rnd.choice(CENTRES[tenant]),
                        rnd.choice(TOPICS))
                for tenant in TENANTS for n in range(3)]
    clients = [(rnd.choice(TENANTS), f"p{n}", _profile(rnd)) for n in range(visits // 3)]
    rows: list[VisitVersion] = []
    for n in range(visits):
        tenant, pseudonym, profile = rnd.choice(clients)
        day = FIRST_DAY + timedelta(days=rnd.randrange(DAYS))
        session = rnd.choice([None, None, None, *[s for s in sessions if s.tenant_id == tenant],
                              Session(tenant, f"{tenant}-unknown", CENTRES[tenant][0], "")])
        visit = VisitRecord(
            tenant_id=tenant, centre_id=session.centre_id if session else
            rnd.choice(CENTRES[tenant]), centre_name="", visit_id=f"v{n:05d}", visit_date=day,
            services=("counselling",) if session else rnd.choice(SERVICES),
            group_session_id=session.session_id if session else None,
            group_session_topic=None, client_pseudonym=pseudonym, **profile)  # type: ignore[arg-type]
        recorded = day + timedelta(days=rnd.choice((0, 0, 0, 1, 30)))
        for version in range(1, rnd.choice((1, 1, 1, 2, 3)) + 1):
            if version > 1:
                visit = replace(
                    visit, visit_date=visit.visit_date + timedelta(days=rnd.randint(-40, 40)),
                    services=rnd.choice(SERVICES) if visit.group_session_id is None
                    else visit.services,
                    centre_id=rnd.choice(CENTRES[tenant]) if visit.group_session_id is None
                    else visit.centre_id,
                    **_profile(rnd))  # type: ignore[arg-type]
            row = VisitVersion(visit, version, recorded)
            rows.extend([row, row] if rnd.random() < 0.1 else [row])
    rnd.shuffle(rows)
    return rows, sessions


def centre_names(sessions: list[Session]) -> dict[str, str]:
    """Centre names as the statistics know them: from the sessions held there."""
    return {s.centre_id: CENTRE_NAMES[s.centre_id] for s in sessions if s.centre_id in CENTRE_NAMES}


def latest_in_period(rows: list[VisitVersion], sessions: list[Session], start: date, end: date,
                     *, tenants: tuple[str, ...] = TENANTS,
                     centre_id: str | None = None) -> list[VisitRecord]:
    """What the statistics must count: each visit's latest version, if it falls in the scope,
    named and with its session's topic as the pure figures expect them."""
    names = centre_names(sessions)
    latest: dict[tuple[str, str], VisitVersion] = {}
    for row in rows:
        key = (row.visit.tenant_id, row.visit.visit_id)
        if key not in latest or row.version > latest[key].version:
            latest[key] = row
    topics = {(s.tenant_id, s.session_id): s.topic for s in sessions}
    return [
        replace(row.visit, centre_name=names.get(row.visit.centre_id, row.visit.centre_id),
                group_session_topic=topics.get((row.visit.tenant_id,
                                                row.visit.group_session_id or ""))
                if row.visit.group_session_id else None)
        for row in latest.values()
        if row.visit.tenant_id in tenants and start <= row.visit.visit_date <= end
        and (centre_id is None or row.visit.centre_id == centre_id)]
