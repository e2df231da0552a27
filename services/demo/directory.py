"""Demo directories of skills-development institutions, and demo referrals, loaded through the API.

Each tenant gets the same shape of directory in its own towns: a vocational training centre and a
language school in the capital (the institutions of the demo partner users `partner.<cc>` and
`partner2.<cc>`), a business incubator, the recognition office, a returnee support centre and a
vocational school elsewhere. Ids are derived from the tenant and a key, so loading again updates
the same entries. Then a few of the demo quarter's clients are referred and the partners answer
some of them, so every screen has something to show.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from referrals import hsds
from referrals.hsds import (
    LocationRecord,
    OrganizationRecord,
    Package,
    ServiceAtLocationRecord,
    ServiceRecord,
)
from referrals.suggestions import TENANT_LANGUAGES
from referrals.taxonomy import term_id
from services.demo.calibrated import CENTRE_CATALOGUE
from services.demo.loader import LoadError, Printer, Transport

NAMESPACE = uuid.UUID("a4f5c2de-1b7e-4d0c-9f3e-5d8b6c2a7e11")
REFERRALS_PER_TENANT = 12


def _id(tenant: str, *parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join((tenant, *parts))))


@dataclass(frozen=True)
class _Course:
    key: str
    name: str
    needs: tuple[str, ...]
    seats: int
    free: int
    waiting: bool = False
    target_groups: tuple[str, ...] = ()
    minimum_age: int | None = 18
    maximum_age: int | None = None
    minimum_education: str = ""
    languages: tuple[str, ...] = ()
    intake_in_days: int | None = 21


# (key, institution name pattern, town index in the tenant's centre catalogue, courses)
_INSTITUTIONS: tuple[tuple[str, str, int, tuple[_Course, ...]], ...] = (
    ("inst-1", "{town} Vocational Training Centre", 0, (
        _Course("welding", "Welding (MIG/MAG), level 2",
                ("skills:vocational-training", "isco08:7"), 16, 5, waiting=True),
        _Course("hospitality", "Hotel and restaurant services",
                ("skills:vocational-training", "isco08:5"), 24, 9),
        _Course("job-club", "Job club: CV, applications, interviews",
                ("skills:cv-job-search",), 15, 11, minimum_age=16, intake_in_days=7),
    )),
    ("inst-2", "{town} Language School", 0, (
        _Course("german-a1", "German A1", ("skills:language-course",), 20, 3, waiting=True,
                minimum_age=16),
        _Course("english-b1", "English B1", ("skills:language-course",), 18, 7,
                minimum_age=16, minimum_education="isced2"),
        _Course("orientation", "Pre-departure orientation: working legally abroad",
                ("skills:pre-departure-orientation",), 30, 22, minimum_age=16,
                intake_in_days=10),
    )),
    ("inst-3", "{town} Business Incubator", 1, (
        _Course("start-up", "Start your business: training and mentoring",
                ("skills:entrepreneurship",), 12, 4, minimum_education="isced3"),
    )),
    ("inst-4", "Recognition Office (ENIC/NARIC), {town}", 0, (
        _Course("recognition", "Recognition of foreign diplomas",
                ("skills:qualification-recognition",), 0, 0, minimum_age=None,
                intake_in_days=None),
    )),
    ("inst-5", "{town} Returnee Support Centre", 2, (
        _Course("reintegration", "Reintegration counselling and job placement",
                ("skills:reintegration", "skills:cv-job-search"), 25, 14,
                target_groups=("returnees",)),
    )),
    ("inst-6", "{town} Vocational School", 1, (
        _Course("electrician", "Building electrician", ("skills:vocational-training",
                                                         "isco08:7"), 20, 0, waiting=False),
        _Course("care", "Elderly care assistant", ("skills:vocational-training", "isco08:5"),
                20, 6, target_groups=("unemployed", "long_term_unemployed", "women")),
    )),
)


def demo_directory(tenant: str, today: date) -> Package:
    """The demo directory of one tenant, the same ids every time."""
    towns = CENTRE_CATALOGUE[tenant]
    cc = tenant.lower()
    local = TENANT_LANGUAGES[tenant]
    organizations, locations, services, places = [], [], [], []
    for key, pattern, town_index, courses in _INSTITUTIONS:
        town, municipality = towns[town_index]
        org = OrganizationRecord(
            id=_id(tenant, key), code=f"{cc}-{key}", name=pattern.format(town=town),
            alternate_name="", description=f"A demo institution in {town}.",
            email=f"info@{key}.{cc}.example.org", website=f"https://{key}.{cc}.example.org",
            phone="")
        location = LocationRecord(
            id=_id(tenant, key, "location"), organization_id=org.id, name=org.name,
            location_type="physical", municipality_code=municipality, address_1="",
            city=town, postal_code="", latitude=None, longitude=None)
        organizations.append(org)
        locations.append(location)
        for course in courses:
            service = ServiceRecord(
                id=_id(tenant, key, course.key), organization_id=org.id, name=course.name,
                alternate_name="", description=f"{course.name} at {org.name}.", url="",
                email=org.email, status="active", fees_description="", free=True,
                cost_amount=None, cost_currency="", eligibility_description="",
                minimum_age=course.minimum_age, maximum_age=course.maximum_age,
                application_process="Referral by a Migrant Service Centre counsellor.",
                schedule_description="Weekdays, 17:00-20:00",
                languages=course.languages or local, target_groups=course.target_groups,
                minimum_education=course.minimum_education,
                seats_total=course.seats or None, seats_available=course.free if course.seats
                else None, waiting_list_open=course.waiting, waiting_list_length=0,
                next_intake_date=None if course.intake_in_days is None
                else today + timedelta(days=course.intake_in_days),
                contact_name="", contact_email=org.email, contact_phone="",
                taxonomy_term_ids=tuple(term_id(need) for need in course.needs))
            services.append(service)
            places.append(ServiceAtLocationRecord(id=_id(tenant, key, course.key, "at"),
                                                  service_id=service.id,
                                                  location_id=location.id))
    return Package(organizations=tuple(organizations), locations=tuple(locations),
                   services=tuple(services), service_at_locations=tuple(places))


# The referrals' needs in turn, and what the institution does with each referral (by position).
_NEEDS = ("skills:language-course", "skills:vocational-training", "skills:cv-job-search",
          "skills:pre-departure-orientation")
_ANSWERS: tuple[tuple[tuple[str, dict[str, str]], ...], ...] = (
    (("accept", {}), ("start", {}), ("complete", {"outcome": "certificate"})),
    (("accept", {}), ("start", {})),
    (("decline", {"reason": "The course is full until spring."}),),
    (),
    (("accept", {}), ("hold", {})),
    (("accept", {}),),
)


def _ok(answer: Any, what: str, *expected: int) -> Any:
    if answer.status not in expected:
        raise LoadError(f"{what}: HTTP {answer.status} {str(answer.body)[:300]}")
    return answer.body


def load_demo_referrals(transport: Transport, tenant: str, today: date,
                        out: Printer = print) -> int:
    """Load the tenant's demo directory, then refer some clients once; referrals made."""
    cc = tenant.lower()
    _ok(transport.request("POST", "/directory/import", username=f"admin.{cc}",
                          body=hsds.package_to_json(demo_directory(tenant, today))),
        f"{tenant}: importing the demo directory", 200)
    counsellor = f"counsellor.{cc}"
    existing = _ok(transport.request("GET", "/referrals?page_size=1", username=counsellor),
                   f"{tenant}: listing referrals", 200)
    if existing["results"]:
        return 0
    clients = _ok(transport.request("GET", f"/clients?page_size={REFERRALS_PER_TENANT}",
                                    username=counsellor), f"{tenant}: listing clients", 200)
    partners = {f"{cc}-inst-1": f"partner.{cc}", f"{cc}-inst-2": f"partner2.{cc}"}
    codes = {_id(tenant, key): f"{cc}-{key}" for key, *_ in _INSTITUTIONS}
    made = 0
    for index, client in enumerate(clients["results"]):
        need = term_id(_NEEDS[index % len(_NEEDS)])
        ranking = _ok(transport.request("POST", "/routing/suggestions", username=counsellor,
                                        body={"client_id": client["id"], "need_id": need}),
                      f"{tenant}: routing", 200)
        if not ranking["suggestions"]:
            continue
        choice = ranking["suggestions"][min(index % 3 // 2, len(ranking["suggestions"]) - 1)]
        referral = _ok(transport.request("POST", "/referrals", username=counsellor, body={
            "client_id": client["id"], "service_id": choice["service_id"], "need_id": need,
            "note_for_partner": "Demo referral."}), f"{tenant}: referring", 201)
        made += 1
        partner = partners.get(codes.get(choice["organization_id"], ""))
        if partner is None:
            continue
        for action, body in _ANSWERS[index % len(_ANSWERS)]:
            _ok(transport.request("POST", f"/referrals/{referral['id']}/{action}",
                                  username=partner, body=body),
                f"{tenant}: {partner} {action}", 200)
    out(f"{tenant}: demo directory of {len(_INSTITUTIONS)} institutions, {made} referrals")
    return made
