"""Seeded demo data for the platform: a plan of centres, clients, visits and group sessions.

`calibrated_plan` makes records whose quarterly figures reproduce a published report exactly
(`analytics_stream.figures.compare_with_reference` finds nothing), so the live statistics can be
shown, and tested, against the programme's own numbers. `scaled_plan` makes plausible records
of any size, lazily, for load tests.

Everything is pure and seeded: the same seed gives the same plan, key for key. Keys are UUID
strings made on this side, as a device syncing offline makes them (`POST /api/v1/sync`), so a
loader can send a plan twice and get duplicates answered, not doubled.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate
from math import ceil
from typing import Any

from django.db.models import TextChoices

from analytics_stream.figures import (
    CentreRecord,
    VisitRecord,
    compare_with_reference,
    quarterly_figures,
)
from intake import choices
from intake.names import name_key


class Weighted:
    """Codes to draw by weight, summed once: millions of draws make a scaled plan."""

    __slots__ = ("codes", "cumulative")

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.codes = list(weights)
        self.cumulative = list(accumulate(weights.values()))

    def at(self, unit: float) -> str:
        """The code at `unit` (0 <= unit < 1) of the way through the summed weights."""
        return self.codes[bisect(self.cumulative, unit * self.cumulative[-1])]

    def pick(self, rng: random.Random) -> str:
        return self.at(rng.random())

    def pick_distinct(self, rng: random.Random, k: int, *, exclude: str = "") -> list[str]:
        """Up to `k` different codes, most likely first (as drawing without replacement)."""
        k = min(k, len(self.codes) - (exclude in self.codes))
        drawn: list[str] = []
        while len(drawn) < k:
            code = self.pick(rng)
            if code not in drawn and code != exclude:
                drawn.append(code)
        return drawn


# --- Catalogues ------------------------------------------------------------------------------

# Centres per tenant, capital first: (name, municipality code, ISO 3166-2 style).
CENTRE_CATALOGUE: dict[str, tuple[tuple[str, str], ...]] = {
    "AL": (("Tirana", "AL-11"), ("Durrës", "AL-02"), ("Shkodër", "AL-10"), ("Vlorë", "AL-12"),
           ("Korçë", "AL-06"), ("Elbasan", "AL-03")),
    "BA": (("Sarajevo", "BA-09"), ("Banja Luka", "BA-02"), ("Mostar", "BA-07"),
           ("Tuzla", "BA-10"), ("Bihać", "BA-01"), ("Zenica", "BA-11")),
    "HR": (("Zagreb", "HR-21"), ("Split", "HR-17"), ("Rijeka", "HR-08"), ("Osijek", "HR-14"),
           ("Zadar", "HR-13"), ("Pula", "HR-18")),
    "XK": (("Prishtina", "XK-01"), ("Prizren", "XK-04"), ("Peja", "XK-06"), ("Gjilan", "XK-02"),
           ("Mitrovica", "XK-05"), ("Ferizaj", "XK-07")),
    "MK": (("Skopje", "MK-85"), ("Bitola", "MK-04"), ("Tetovo", "MK-76"), ("Kumanovo", "MK-47"),
           ("Ohrid", "MK-58"), ("Štip", "MK-83")),
    "ME": (("Podgorica", "ME-16"), ("Nikšić", "ME-12"), ("Bar", "ME-02"),
           ("Bijelo Polje", "ME-04"), ("Berane", "ME-03")),
    "RS": (("Beograd", "RS-00"), ("Novi Sad", "RS-06"), ("Niš", "RS-20"), ("Kragujevac", "RS-12"),
           ("Subotica", "RS-01"), ("Kraljevo", "RS-18")),
}

CALLING_CODES = {"AL": "355", "BA": "387", "HR": "385", "XK": "383", "MK": "389", "ME": "382",
                 "RS": "381"}

# Given names (male, female) and family names; "Latin/Cyrillic" where both scripts are in use.
NAMES: dict[str, tuple[str, str, str]] = {
    "AL": ("Arben Besnik Dritan Ermal Gentian Ilir Klodian Luan Mentor Sokol",
           "Anila Blerina Drita Elona Fatjona Jonida Lindita Mirela Rudina Valbona",
           "Hoxha Shehu Leka Gjoka Kola Dervishi Basha Cela Duka Marku"),
    "XK": ("Agim Bekim Driton Fatmir Valon Arton Blerim Shkëlzen Visar Labinot",
           "Arta Blerta Donika Fitore Vjosa Teuta Shqipe Mimoza Albulena Edona",
           "Krasniqi Gashi Berisha Morina Hoxha Shala Kastrati Rexhepi Bytyqi Zeqiri"),
    "BA": ("Amir Adnan Emir Haris Mirza Nedim Dario Goran Ivan Mladen",
           "Amra Lejla Selma Emina Ajla Maja Ivana Jelena Azra Sanela",
           "Hodžić Begić Delić Hadžić Kovačević Marić Jurić Babić Mehmedović Šehić"),
    "HR": ("Ivan Marko Ante Tomislav Josip Luka Mario Davor Krešimir Stjepan",
           "Ana Marija Ivana Petra Katarina Martina Lucija Nikolina Jelena Mirjana",
           "Horvat Kovačević Babić Marić Jurić Novak Knežević Vuković Matić Perić"),
    "RS": ("Nikola/Никола Marko/Марко Stefan/Стефан Milan/Милан Dragan/Драган Nenad/Ненад "
           "Dejan/Дејан Zoran/Зоран Miloš/Милош Aleksandar/Александар",
           "Jelena/Јелена Milica/Милица Ana/Ана Ivana/Ивана Marija/Марија Snežana/Снежана "
           "Dragana/Драгана Jovana/Јована Tijana/Тијана",
           "Petrović/Петровић Jovanović/Јовановић Nikolić/Николић Marković/Марковић "
           "Đorđević/Ђорђевић Stojanović/Стојановић Ilić/Илић Pavlović/Павловић "
           "Živković/Живковић Popović/Поповић"),
    "MK": ("Aleksandar/Александар Goran/Горан Dimitar/Димитар Zoran/Зоран Igor/Игор "
           "Vladimir/Владимир Blagoja/Благоја Nikola/Никола Toni/Тони Dragan/Драган",
           "Elena/Елена Marija/Марија Biljana/Билјана Vesna/Весна Ana/Ана Katerina/Катерина "
           "Snežana/Снежана Jasmina/Јасмина Gordana/Гордана",
           "Stojanovski/Стојановски Trajkovski/Трајковски Nikolovski/Николовски "
           "Petrovski/Петровски Dimitrovski/Димитровски Georgievski/Георгиевски "
           "Ristovski/Ристовски Jovanovski/Јовановски Angelovski/Ангеловски"),
    "ME": ("Marko/Марко Milo/Мило Vuk/Вук Nikola/Никола Dejan/Дејан Predrag/Предраг "
           "Vladimir/Владимир Luka/Лука",
           "Jelena/Јелена Milena/Милена Ivana/Ивана Danijela/Данијела Tamara/Тамара Sanja/Сања "
           "Vesna/Весна",
           "Vujović/Вујовић Radulović/Радуловић Đukanović/Ђукановић Popović/Поповић "
           "Vukčević/Вукчевић Kaluđerović/Калуђеровић Bulatović/Булатовић Perović/Перовић"),
    "TR": ("Mehmet Ahmet Mustafa Emre Hasan", "Ayşe Fatma Elif Zeynep Emine",
           "Yılmaz Kaya Demir Şahin Çelik"),
    "CN": ("Wei Jun Lei Tao Qiang", "Li Fang Mei Xiu Ying", "Wang Zhang Liu Chen Yang"),
    "IT": ("Marco Luca Giuseppe Andrea Paolo", "Giulia Francesca Chiara Sara Anna",
           "Rossi Russo Ferrari Esposito Bianchi"),
    "GR": ("Nikos Giorgos Dimitris Kostas Yannis", "Maria Eleni Katerina Sofia Georgia",
           "Papadopoulos Nikolaidis Georgiou Pappas Vlachos"),
    "UA": ("Oleksandr Andriy Serhiy Taras Mykola", "Olena Natalia Iryna Oksana Tetiana",
           "Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko"),
    "RU": ("Ivan Sergey Dmitry Alexey Pavel", "Olga Tatiana Natalia Svetlana Anna",
           "Ivanov Smirnov Kuznetsov Popov Sokolov"),
    "RO": ("Andrei Mihai Ion Florin Cristian", "Elena Ioana Maria Andreea Mihaela",
           "Popescu Ionescu Dumitru Stan Stoica"),
    "EG": ("Ahmed Mohamed Mahmoud Omar Karim", "Fatima Mona Nour Yasmin Salma",
           "Hassan Ibrahim Mostafa Sayed Farouk"),
}

NAME_PARTS = {country: tuple(part.split() for part in parts) for country, parts in NAMES.items()}

# Share of records written in Cyrillic where both scripts are in use.
CYRILLIC_SHARE = {"RS": 0.4, "MK": 0.5, "ME": 0.3}
# Share of clients of a tenant named from another tenant's catalogue (e.g. Albanians in MK).
MINORITY_NAMES = {"MK": ("AL", 0.25), "ME": ("AL", 0.1), "RS": ("BA", 0.1)}

# Where immigrants served by each tenant come from.
IMMIGRANT_ORIGINS: dict[str, tuple[str, ...]] = {
    "AL": ("IT", "GR", "TR", "CN", "EG"), "BA": ("HR", "RS", "TR", "CN"),
    "HR": ("BA", "RS", "MK", "UA", "CN"), "XK": ("AL", "TR", "MK"), "MK": ("AL", "TR", "RS"),
    "ME": ("RS", "BA", "AL", "UA", "RU"), "RS": ("CN", "BA", "MK", "RO", "UA"),
}

# Countries named after the published top ones, with their weight range.
OTHER_PREFERRED = ("AT", "CH", "GB", "FR", "SE", "NL", "NO", "SI", "BE")
OTHER_STAYED = ("AT", "CH", "SE", "US", "FR", "GB", "NL", "SI", "HR", "TR")
OTHER_PURPOSES = ("family", "study", "other")

EDUCATION = Weighted({"isced1": 5, "isced2": 20, "isced3": 48, "isced4": 5, "isced5": 3,
                      "isced6": 13, "isced7": 5, "isced8": 1})
ISCO = Weighted({"7": 20, "5": 18, "9": 15, "8": 10, "2": 10, "3": 9, "4": 8, "6": 7, "1": 2,
                 "0": 1})
OTHER_INTENTIONS = {"study": 10, "family_reunion": 8, "undecided": 14, "none": 6}
OTHER_PERMITS = {"residence_permit": 10, "asylum_seeker": 3, "refugee": 2, "other": 2}
OTHER_NATIONAL_WORK = Weighted({"employed": 50, "self_employed": 18, "inactive": 12})
OTHER_IMMIGRANT_WORK = Weighted({"self_employed": 5, "unemployed": 4, "student": 2,
                                 "inactive": 2})
IMMIGRANT_INTENTIONS = Weighted({"none": 70, "undecided": 20, "labour": 10})
CHANNELS = Weighted({"in_person": 80, "phone": 12, "email": 6, "online": 2})
INTENTION_TOPICS: dict[str, tuple[str, ...]] = {
    "labour": ("work_permits", "visas", "labour_market", "social_security_health",
               "pre_departure"),
    "study": ("study_scholarships", "visas"),
    "family_reunion": ("visas", "social_security_health"),
    "none": ("labour_market", "other"),
    "undecided": ("labour_market", "visas", "other"),
}
IMMIGRANT_TOPICS = ("work_permits", "social_security_health", "labour_market")
SERVICE_ORDER = tuple(s.value for s in choices.Service)

STAY_YEARS = {"asylum": (1991, 2000), "work": (1995, 2007), "study": (2000, 2007)}

# Qualitative words of a report, and the share (per cent) a generator aims for to earn them.
QUALIFIER_TARGETS = {"majority": (52, 68), "almost half": (42, 48)}
MAX_ATTEMPTS = 40
WORKING_HOURS = range(7, 15)  # UTC: 8 to 16 local time in summer, so the local date is the same


# --- The plan --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PlannedCentre:
    """A centre to create (`POST /api/v1/centres`); `key` stands for its id in the plan."""

    key: str
    tenant_id: str
    name: str
    municipality_code: str
    kind: str = "msc"

    def as_input(self) -> dict[str, Any]:
        return {"name": self.name, "municipality_code": self.municipality_code,
                "kind": self.kind, "active": True}


@dataclass(frozen=True, slots=True)
class PlannedStay:
    country: str
    purpose: str
    year_from: int | None = None
    year_to: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedClient:
    """A client as a counsellor registers them, consent first."""

    key: str
    tenant_id: str
    centre_key: str
    given_name: str
    family_name: str
    sex: str
    birth_date: date
    citizenship: str
    category: str
    municipality_code: str
    urban: bool
    education_level: str
    employment_status: str
    occupation_isco: str
    migration_intention: str
    preferred_destinations: tuple[str, ...]
    permit_status: str
    stays: tuple[PlannedStay, ...]
    consent_given_at: datetime
    phone: str = ""
    email: str = ""
    confirm_new: bool = False

    def as_input(self) -> dict[str, Any]:
        """The body of `POST /api/v1/clients` (or a sync item's data), JSON-ready."""
        body: dict[str, Any] = {
            "given_name": self.given_name, "family_name": self.family_name, "sex": self.sex,
            "birth_year": self.birth_date.year, "birth_date": self.birth_date.isoformat(),
            "citizenship": self.citizenship, "category": self.category,
            "municipality_code": self.municipality_code, "urban": self.urban,
            "education_level": self.education_level,
            "employment_status": self.employment_status,
            "occupation_isco": self.occupation_isco,
            "migration_intention": self.migration_intention,
            "preferred_destinations": list(self.preferred_destinations),
            "permit_status": self.permit_status, "phone": self.phone, "email": self.email,
            "stays": [{"country": s.country, "purpose": s.purpose, "year_from": s.year_from,
                       "year_to": s.year_to} for s in self.stays],
            "consent": {"given_at": self.consent_given_at.isoformat(), "scope": "service"},
        }
        if self.confirm_new:
            body["confirm_new"] = True
        return body


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    """A visit recorded by a counsellor (not a group session attendance)."""

    key: str
    tenant_id: str
    client_key: str
    centre_key: str
    occurred_at: datetime
    channel: str
    services: tuple[str, ...]
    topics: tuple[str, ...] = ()
    destinations_discussed: tuple[str, ...] = ()

    def as_input(self, *, centre_id: str, client_id: str | None = None) -> dict[str, Any]:
        """`POST /api/v1/visits` with `client_id`, else a sync item naming the client's key."""
        body: dict[str, Any] = {
            "centre_id": centre_id, "occurred_at": self.occurred_at.isoformat(),
            "channel": self.channel, "services": list(self.services),
            "topics": list(self.topics),
            "destinations_discussed": list(self.destinations_discussed)}
        if client_id is None:
            body["client_key"] = self.client_key
        else:
            body["client_id"] = client_id
        return body


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """A group session; each attendee's attendance is a counselling visit (as intake records)."""

    key: str
    tenant_id: str
    centre_key: str
    topic: str
    held_at: datetime
    attendee_keys: tuple[str, ...]
    facilitators: tuple[str, ...] = ()
    partner_institution: str = ""

    def as_input(self, *, centre_id: str, attendee_ids: Sequence[str]) -> dict[str, Any]:
        return {"centre_id": centre_id, "topic": self.topic, "held_at": self.held_at.isoformat(),
                "facilitators": list(self.facilitators),
                "partner_institution": self.partner_institution,
                "attendee_ids": list(attendee_ids)}


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """Everything to load for one period, in the order to load it."""

    seed: int
    start: date
    end: date
    centres: tuple[PlannedCentre, ...]
    clients: tuple[PlannedClient, ...]
    visits: tuple[PlannedVisit, ...]
    sessions: tuple[PlannedSession, ...]


# --- Helpers shared by both generators -------------------------------------------------------

def _seeded(seed: int | str) -> random.Random:
    """The only source of randomness: demo data is reproduced from its seed, never secret."""
    return random.Random(seed)  # noqa: S311 - reproducible on purpose, see above


def _key(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def age_on(born: date, day: date) -> int:
    """Whole years on `day` (as `intake.profiles.age_on`, which needs a model instance)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _born(rng: random.Random, age: int, on: date, taken: set[date]) -> date:
    """A birth date that makes someone `age` on `on`, not in `taken` when one is free."""
    try:
        anniversary = on.replace(year=on.year - age)
    except ValueError:  # 29 February
        anniversary = on.replace(year=on.year - age, day=28)
    first = rng.randrange(365)
    for step in range(365):
        born = anniversary - timedelta(days=(first + step) % 365)
        if born not in taken:
            return born
    return anniversary


def _working_days(start: date, end: date) -> list[date]:
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    working = [d for d in days if d.weekday() < 5]
    return working or [start]


def _at(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.choice(WORKING_HOURS), rng.randrange(60)), tzinfo=UTC)


def _feminine(family: str, country: str) -> str:
    """Family names that change with sex: Stojanovski/Stojanovska, Ivanov/Ivanova, -os/-ou."""
    if country == "MK":
        for male, female in (("ski", "ska"), ("ски", "ска")):
            if family.endswith(male):
                return family[: -len(male)] + female
    if country in ("RU", "BG") and family.endswith(("ov", "ev")):
        return family + "a"
    if country == "GR" and family.endswith("os"):
        return family[:-2] + "ou"
    return family


def _name(rng: random.Random, country: str, sex: str) -> tuple[str, str]:
    """Given and family name from the catalogue of `country`, in one script."""
    males, females, families = NAME_PARTS[country]
    given = rng.choice(males if sex == "male" else females)
    family = rng.choice(families)
    script = 1 if rng.random() < CYRILLIC_SHARE.get(country, 0.0) else 0
    given_name = given.split("/")[min(script, len(given.split("/")) - 1)]
    family_name = family.split("/")[min(script, len(family.split("/")) - 1)]
    if sex != "male":
        family_name = _feminine(family_name, country)
    return given_name, family_name


def _name_country(rng: random.Random, tenant: str, citizenship: str, category: str) -> str:
    if category == "immigrant":
        return citizenship if citizenship in NAMES else "TR"
    minority = MINORITY_NAMES.get(tenant)
    if minority and rng.random() < minority[1]:
        return minority[0]
    return tenant


def _contacts(rng: random.Random, tenant: str, given: str, family: str) -> tuple[str, str]:
    phone = ""
    if rng.random() < 0.75:
        phone = f"+{CALLING_CODES[tenant]} 6{rng.randrange(10)} {rng.randrange(10**6, 10**7)}"
    email = ""
    if rng.random() < 0.3:
        local = f"{name_key(given)}.{name_key(family)}".replace(" ", "")
        email = f"{local.encode('ascii', 'ignore').decode()}{rng.randrange(100)}@example.com"
    return phone, email


@dataclass(frozen=True, slots=True)
class Weights:
    """Where people went and want to go, most likely first: the order a report publishes."""

    preferred: Weighted
    stayed: Weighted
    purposes: Weighted
    main_intention: str
    majority_permit: str
    majority_employment: str


def _ranked_weights(rng: random.Random, top: Sequence[str], others: Sequence[str],
                    *, lead: float = 30.0, decay: float = 0.8) -> dict[str, float]:
    """Weights that put `top` first in that order, clearly ahead of `others`."""
    weights = {code: lead * decay**rank for rank, code in enumerate(top)}
    floor = min(weights.values(), default=lead) * 0.45
    for code in others:
        if code not in weights:
            weights[code] = rng.uniform(0.5, 1.0) * floor
    return weights


def _code_of(label: str, codes: type[TextChoices]) -> str:
    """The code whose label a report prints, e.g. "labour migration" -> "labour"."""
    for code in codes:
        if code.label.lower() == label.lower():
            return str(code.value)
    raise ValueError(f"no {codes.__name__} is labelled {label!r}")


def _weights(rng: random.Random, reference: Mapping[str, Any]) -> Weights:
    nationals, immigrants = reference["nationals"], reference["immigrants"]
    return Weights(
        preferred=Weighted(_ranked_weights(rng, nationals["preferred_destinations_top5"],
                                           OTHER_PREFERRED)),
        stayed=Weighted(_ranked_weights(rng, nationals["previous_destinations_top3"],
                                        OTHER_STAYED, decay=0.7)),
        purposes=Weighted(_ranked_weights(rng, nationals["previous_migration_main_purposes"],
                                          OTHER_PURPOSES, decay=0.78)),
        main_intention=_code_of(nationals["main_interest"], choices.MigrationIntention),
        majority_permit=_code_of(immigrants["majority_status"], choices.PermitStatus),
        majority_employment=_code_of(immigrants["majority_employment"],
                                     choices.EmploymentStatus),
    )


# The report of June-August 2008, for data that only needs to look like it.
DEFAULT_REPORT: dict[str, Any] = {
    "nationals": {"preferred_destinations_top5": ["IT", "CA", "DE", "US", "AU"],
                  "previous_destinations_top3": ["DE", "IT", "GR"],
                  "previous_migration_main_purposes": ["asylum", "work"],
                  "main_interest": "labour migration"},
    "immigrants": {"majority_status": "work permit holder", "majority_employment": "employed"},
}


@dataclass(slots=True, eq=False)
class _Person:
    """What the calibration fixes about a client; the rest is drawn when they are made."""

    tenant: str
    category: str
    sex: str
    age: int
    urban: bool
    employment: str
    experienced: bool
    intention: str
    permit: str = ""
    citizenship: str = ""
    centre: str = ""
    visit_days: list[datetime] = field(default_factory=list)


def _stays(rng: random.Random, person: _Person, weights: Weights, year: int) -> list[PlannedStay]:
    """One or two earlier stays abroad, with years that fit the person's age."""
    stays: list[PlannedStay] = []
    countries = weights.stayed.pick_distinct(rng, 1 if rng.random() < 0.8 else 2,
                                             exclude=person.tenant)
    born = year - person.age
    for country in countries:
        purpose = weights.purposes.pick(rng)
        # Asylum mostly during the wars of the 1990s; work and study abroad later.
        earliest, latest = STAY_YEARS.get(purpose, (1995, year - 1))
        adult = born + (0 if purpose in ("asylum", "family") else 17)
        year_from = min(year, max(adult, rng.randint(earliest, min(latest, year - 1))))
        length = rng.randint(1, 8) if purpose == "asylum" else rng.randint(0, 4)
        stays.append(PlannedStay(country, purpose, year_from, min(year, year_from + length)))
    return stays


def _client(rng: random.Random, person: _Person, *, key: str, weights: Weights,
            municipality: str, born: date, consent_at: datetime,
            confirm_new: bool = False) -> PlannedClient:
    """A client with the person's fixed attributes and plausible values for everything else."""
    year = consent_at.year
    stays = _stays(rng, person, weights, year) if person.experienced else []
    category = person.category
    if category != "immigrant":
        # Back from abroad within the last three years: a returnee; earlier stays: a national.
        recent = any((s.year_to or 0) >= year - 2 for s in stays)
        category = "returnee" if recent else "national"
    if person.intention == "none" or (category == "immigrant" and rng.random() < 0.8):
        preferred: list[str] = []
    else:
        preferred = weights.preferred.pick_distinct(rng, rng.choice((1, 1, 2, 2, 2, 3)))
    education = EDUCATION.pick(rng)
    if person.employment == "student":
        education = rng.choice(("isced3", "isced3", "isced6"))
    without_job = person.employment in ("student", "inactive") or (
        person.employment == "unemployed" and rng.random() < 0.3)
    occupation = "" if without_job else ISCO.pick(rng)
    citizenship = person.citizenship or person.tenant
    given, family = _name(rng, _name_country(rng, person.tenant, citizenship, category),
                          person.sex)
    phone, email = _contacts(rng, person.tenant, given, family)
    return PlannedClient(
        key=key, tenant_id=person.tenant, centre_key=person.centre, given_name=given,
        family_name=family, sex=person.sex, birth_date=born, citizenship=citizenship,
        category=category, municipality_code=municipality, urban=person.urban,
        education_level=education, employment_status=person.employment,
        occupation_isco=occupation, migration_intention=person.intention,
        preferred_destinations=tuple(preferred), permit_status=person.permit,
        stays=tuple(stays), consent_given_at=consent_at, phone=phone, email=email,
        confirm_new=confirm_new)


def _topics(rng: random.Random, client: PlannedClient, services: Sequence[str]) -> list[str]:
    if "information" not in services:
        return ["labour_market"] if "referral" in services else []
    pool = (IMMIGRANT_TOPICS if client.category == "immigrant"
            else INTENTION_TOPICS[client.migration_intention])
    topics = set(rng.sample(pool, min(len(pool), rng.choice((1, 1, 2)))))
    if client.category == "returnee":
        topics.add("return")
    return sorted(topics)


def _visit(rng: random.Random, client: PlannedClient, *, key: str, centre_key: str,
           at: datetime, services: Sequence[str]) -> PlannedVisit:
    discussed = list(client.preferred_destinations[: rng.choice((1, 2))])
    return PlannedVisit(
        key=key, tenant_id=client.tenant_id, client_key=client.key, centre_key=centre_key,
        occurred_at=at, channel=CHANNELS.pick(rng),
        services=tuple(s for s in SERVICE_ORDER if s in services),
        topics=tuple(_topics(rng, client, services)),
        destinations_discussed=tuple(discussed) if "information" in services else ())


def _centres(rng: random.Random, tenants: Sequence[str], count: int,
             required: Sequence[str] = ()) -> tuple[PlannedCentre, ...]:
    """`count` centres spread evenly over the tenants, capitals and `required` names first."""
    centres: list[PlannedCentre] = []
    for index, tenant in enumerate(tenants):
        catalogue = list(CENTRE_CATALOGUE[tenant])
        wanted = [c for c in catalogue if c[0] in required]
        rest = [c for c in catalogue if c not in wanted]
        first, others = (wanted, rest) if wanted else (rest[:1], rest[1:])
        rng.shuffle(others)
        size = count // len(tenants) + (index < count % len(tenants))
        for name, municipality in (first + others)[:size]:
            centres.append(PlannedCentre(_key(rng), tenant, name, municipality))
    missing = set(required) - {c.name for c in centres}
    if missing:
        raise ValueError(f"no centre can be planned for {sorted(missing)}")
    return tuple(centres)


def centre_records(plan: DemoPlan) -> list[CentreRecord]:
    """The plan's centres as `quarterly_figures` takes them."""
    return [CentreRecord(c.tenant_id, c.key, c.name) for c in plan.centres]


def _record(client: PlannedClient, centre: PlannedCentre, *, visit_id: str, day: date,
            services: Sequence[str], session: PlannedSession | None = None) -> VisitRecord:
    return VisitRecord(
        tenant_id=client.tenant_id, centre_id=centre.key, centre_name=centre.name,
        visit_id=visit_id, visit_date=day, services=tuple(services),
        group_session_id=session.key if session else None,
        group_session_topic=session.topic if session else None,
        client_pseudonym=client.key, category=client.category, sex=client.sex,
        age_years=age_on(client.birth_date, day), urban=client.urban,
        employment_status=client.employment_status,
        previous_stays=tuple((s.country, s.purpose) for s in client.stays),
        migration_intention=client.migration_intention,
        preferred_destinations=client.preferred_destinations,
        permit_status=client.permit_status)


def attendance_key(session: PlannedSession, client_key: str) -> str:
    """Stable id of one attendance in the plan (intake gives the real one when it is loaded)."""
    return str(uuid.uuid5(uuid.UUID(session.key), client_key))


def all_visit_records(plan: DemoPlan) -> list[VisitRecord]:
    """Every visit of the plan as statistics see it: direct visits and session attendances,
    each with the client's age on its day."""
    clients = {c.key: c for c in plan.clients}
    centres = {c.key: c for c in plan.centres}
    records = [
        _record(clients[v.client_key], centres[v.centre_key], visit_id=v.key,
                day=v.occurred_at.date(), services=v.services)
        for v in plan.visits]
    records += [
        _record(clients[key], centres[s.centre_key], visit_id=attendance_key(s, key),
                day=s.held_at.date(), services=("counselling",), session=s)
        for s in plan.sessions for key in s.attendee_keys]
    return records


# --- Calibration -----------------------------------------------------------------------------

def count_range(published: float | int, whole: int) -> range:
    """Counts of `whole` whose share rounds half up and truncates to `published` per cent."""
    wanted = Decimal(str(published))
    pct = Fraction(wanted)
    half = Fraction(Decimal(1).scaleb(min(0, int(wanted.as_tuple().exponent)))) / 2
    low = ceil(pct * whole / 100)
    high = ceil((pct + half) * whole / 100) - 1
    return range(low, high + 1)


def _qualified_count(rng: random.Random, word: str, whole: int) -> int:
    if word not in QUALIFIER_TARGETS:
        raise ValueError(f"cannot aim for {word!r} (known: {', '.join(QUALIFIER_TARGETS)})")
    low, high = QUALIFIER_TARGETS[word]
    return rng.randint(ceil(whole * low / 100), whole * high // 100)


def _ranked_counts(rng: random.Random, total: int, ranked: Sequence[str], rest: Sequence[str],
                   *, minimum: Mapping[str, int] | None = None) -> dict[str, int]:
    """Counts summing to `total`: `ranked` strictly falling, every other code below the last."""
    minimum = minimum or {}
    for _ in range(1000):
        weights = {code: 0.8**rank * rng.uniform(0.93, 1.07) for rank, code in enumerate(ranked)}
        floor = min(weights.values(), default=1.0)
        weights |= {code: floor * rng.uniform(0.35, 0.85) for code in rest}
        scale = total / sum(weights.values())
        counts = {code: int(w * scale) for code, w in weights.items()}
        by_remainder = sorted(weights, key=lambda c: weights[c] * scale - counts[c], reverse=True)
        for code in by_remainder[: total - sum(counts.values())]:
            counts[code] += 1
        falling = all(counts[a] > counts[b] for a, b in zip(ranked, ranked[1:], strict=False))
        below = all(counts[c] < counts[ranked[-1]] for c in rest) if ranked else True
        if falling and below and all(counts[c] >= n for c, n in minimum.items()):
            return counts
    raise ValueError(f"cannot split {total} so that {list(ranked)} lead")


def _flags(rng: random.Random, size: int, true_count: int) -> list[bool]:
    flags = [True] * true_count + [False] * (size - true_count)
    rng.shuffle(flags)
    return flags


def _national_people(rng: random.Random, reference: Mapping[str, Any],
                     tenants: Sequence[str], weights: Weights) -> list[_Person]:
    """Nationals and returnees whose shares are exactly the published ones."""
    nat = reference["nationals"]
    size = len(tenants)
    male = _flags(rng, size, rng.choice(count_range(nat["male_pct"], size)))
    urban = _flags(rng, size, _qualified_count(rng, nat["urban"], size))
    unemployed = _flags(rng, size, rng.choice(count_range(nat["unemployed_pct"], size)))
    experienced = _flags(rng, size, _qualified_count(
        rng, nat["previous_migration_experience"], size))
    main = _flags(rng, size, rng.randint(size * 55 // 100, size * 68 // 100))
    others = Weighted({k: v for k, v in OTHER_INTENTIONS.items()
                       if k != weights.main_intention})
    low, high = nat["mean_age_years_range"]
    while True:
        ages = [min(62, max(18, round(rng.gauss((low + high) / 2, 9)))) for _ in range(size)]
        if low + 0.5 <= sum(ages) / size <= high - 0.5:
            break
    people = []
    for i, tenant in enumerate(tenants):
        employment = "unemployed"
        if not unemployed[i]:
            young = ages[i] < 25 and rng.random() < 0.6
            employment = "student" if young else OTHER_NATIONAL_WORK.pick(rng)
        people.append(_Person(
            tenant=tenant, category="national", sex="male" if male[i] else "female", age=ages[i],
            urban=urban[i], employment=employment, experienced=experienced[i],
            intention=weights.main_intention if main[i] else others.pick(rng)))
    return people


def _immigrant_people(rng: random.Random, tenants: Sequence[str],
                      weights: Weights) -> list[_Person]:
    """Immigrants: most hold the published majority permit and employment."""
    size = len(tenants)
    permit = _flags(rng, size, rng.randint(size * 55 // 100 + 1, size * 75 // 100))
    other_permits = Weighted({k: v for k, v in OTHER_PERMITS.items()
                              if k != weights.majority_permit})
    employed = rng.randint(size * 55 // 100 + 1, size * 78 // 100)
    # Permit holders first in line for the jobs: most came to work.
    order = sorted(range(size), key=lambda i: (not permit[i], rng.random()))
    people = []
    for rank, i in enumerate(order):
        tenant = tenants[i]
        people.append(_Person(
            tenant=tenant, category="immigrant", sex="male" if rng.random() < 0.65 else "female",
            age=min(64, max(20, round(rng.gauss(37, 10)))), urban=rng.random() < 0.8,
            employment=(weights.majority_employment if rank < employed
                        else OTHER_IMMIGRANT_WORK.pick(rng)),
            experienced=False,
            intention=IMMIGRANT_INTENTIONS.pick(rng),
            permit=weights.majority_permit if permit[i] else other_permits.pick(rng),
            citizenship=rng.choice(IMMIGRANT_ORIGINS[tenant])))
    return people


def _service_counts(rng: random.Random, mix: Mapping[str, Any], *, visits: int,
                    attendances: int) -> dict[str, int]:
    """Services per code whose shares are the published mix, given that every visit has one
    to three and every attendance is counselling alone."""
    direct = visits - attendances
    totals = list(range(visits, 3 * direct + attendances + 1))
    rng.shuffle(totals)
    for total in totals:
        ranges = {code: count_range(pct, total) for code, pct in mix.items()}
        if not sum(r.start for r in ranges.values()) <= total <= sum(r.stop - 1
                                                                     for r in ranges.values()):
            continue
        counts = {code: r.start for code, r in ranges.items()}
        spare = total - sum(counts.values())
        codes = list(ranges)
        while spare:
            code = rng.choice([c for c in codes if counts[c] < ranges[c].stop - 1])
            counts[code] += 1
            spare -= 1
        if (counts.get("counselling", 0) >= attendances
                and all(n <= direct for n in counts.values())):
            return counts
    raise ValueError(f"no mix of services over {visits} visits gives {dict(mix)}")


def _spread_services(rng: random.Random, direct: int, counts: Mapping[str, int]) -> list[list[str]]:
    """`counts` services over `direct` visits: each visit one first, the rest as seconds."""
    visits: list[list[str]] = [[] for _ in range(direct)]
    order = list(range(direct))
    rng.shuffle(order)
    left = dict(counts)
    given = 0
    for code in sorted(left, key=lambda c: -left[c]):
        take = min(left[code], direct - given)
        for index in order[given: given + take]:
            visits[index].append(code)
        given += take
        left[code] -= take
    for code, extra in left.items():
        free = [i for i in range(direct) if code not in visits[i]]
        for index in rng.sample(free, extra):
            visits[index].append(code)
    return visits


@dataclass(frozen=True, slots=True)
class _Sessions:
    """Who sits in which session; the held sessions are made once the clients have keys."""

    centres: list[PlannedCentre]
    held_at: list[datetime]
    seats: list[list[_Person]]

    @property
    def attendances(self) -> int:
        return sum(len(seated) for seated in self.seats)


def _people(rng: random.Random, reference: Mapping[str, Any], weights: Weights,
            centres: Sequence[PlannedCentre], attendees: int) -> list[_Person]:
    """Every client of the report as a person, tenant by tenant as the rankings say."""
    tenants = list(reference["tenants"])
    imm = reference["immigrants"]
    none, top = set(imm["tenants_with_none"]), imm["tenants_with_most_top3"]
    immigrants = dict.fromkeys(tenants, 0) | _ranked_counts(
        rng, imm["count"], top, [t for t in tenants if t not in none and t not in top])
    minimum = {t: immigrants[t] + 5 for t in tenants}
    for tenant in {c.tenant_id for c in centres}:
        minimum[tenant] += attendees
    ranked = reference["visitors_rank_top3"]
    totals = _ranked_counts(rng, reference["clients_total"], ranked,
                            [t for t in tenants if t not in ranked], minimum=minimum)
    people = _national_people(
        rng, reference, [t for t in tenants for _ in range(totals[t] - immigrants[t])], weights)
    people += _immigrant_people(rng, [t for t in tenants for _ in range(immigrants[t])], weights)
    rng.shuffle(people)
    return people


def _seat(rng: random.Random, example: Mapping[str, Any], centres: Sequence[PlannedCentre],
          people: Sequence[_Person], days: Sequence[date], *, attendees: int,
          repeats: int) -> _Sessions:
    """The example's sessions, taking turns at its centres in the second and third month;
    `repeats` attendees come to a second session at the same centre."""
    count = example["sessions"]
    slots = [centres[i % len(centres)] for i in range(count)]
    if len({c.tenant_id for c in slots}) != 1:
        raise ValueError("the group session example must be held in one country")
    held_at = [datetime.combine(day, time(10), tzinfo=UTC)
               for day in sorted(rng.sample(days[len(days) // 3:], count))]
    pool = [p for p in people if p.tenant == slots[0].tenant_id and p.category != "immigrant"]
    chosen = rng.sample(pool, attendees)
    seats: list[list[_Person]] = [chosen[i::count] for i in range(count)]
    for i, seated in enumerate(seats):
        for person in seated:
            person.centre = slots[i].key
            person.visit_days.append(held_at[i])
    for person in rng.sample(chosen, repeats):
        mine = next(i for i, seated in enumerate(seats) if person in seated)
        again = [i for i in range(count) if i != mine and slots[i] == slots[mine]]
        other = (again or [i for i in range(count) if i != mine])[0]
        seats[other].append(person)
        person.visit_days.append(held_at[other])
    return _Sessions(slots, held_at, seats)


def _schedule_direct(rng: random.Random, people: Sequence[_Person],
                     centres: Sequence[PlannedCentre], days: Sequence[date],
                     returns: int) -> list[_Person]:
    """One visit each at a centre of their country (the capital's busiest), a second for
    `returns` of them; one entry per visit."""
    returning = set(rng.sample(range(len(people)), returns))
    visits: list[_Person] = []
    for index, person in enumerate(people):
        mine = [c.key for c in centres if c.tenant_id == person.tenant]
        person.centre = rng.choices(mine, weights=[3] + [1] * (len(mine) - 1))[0]
        if index in returning:
            first = rng.randrange(len(days) - 1)
            chosen = [days[first], days[rng.randrange(first + 1, len(days))]]
        else:
            chosen = [rng.choice(days)]
        for day in chosen:
            person.visit_days.append(_at(rng, day))
            visits.append(person)
    return visits


def _draw(rng: random.Random, reference: Mapping[str, Any], seed: int) -> DemoPlan:
    """One candidate plan aimed at every figure of `reference`."""
    start = date.fromisoformat(reference["period"]["start"])
    end = date.fromisoformat(reference["period"]["end"])
    days = _working_days(start, end)
    example = reference["group_sessions_example"]
    weights = _weights(rng, reference)
    centres = _centres(rng, reference["tenants"], reference["centres_in_region"],
                       example["centres"])
    session_centres = [c for name in example["centres"] for c in centres if c.name == name]
    attendees = example["clients_benefited_min"] + rng.randint(0, 12)
    people = _people(rng, reference, weights, session_centres, attendees)

    spare_visits = reference["visits_total"] - reference["clients_total"]
    repeats = rng.randint(0, min(3, spare_visits))
    sessions = _seat(rng, example, session_centres, people, days, attendees=attendees,
                     repeats=repeats)
    seated = {person for seats in sessions.seats for person in seats}
    direct = _schedule_direct(rng, [p for p in people if p not in seated], centres, days,
                              spare_visits - repeats)

    # The people become clients, aged as planned on their latest visit.
    municipality = {c.key: c.municipality_code for c in centres}
    clients: dict[_Person, PlannedClient] = {}
    taken: dict[str, set[date]] = defaultdict(set)
    for person in people:
        born = _born(rng, person.age, max(person.visit_days).date(), taken[person.tenant])
        taken[person.tenant].add(born)
        consent = min(person.visit_days) - timedelta(minutes=rng.randint(5, 40))
        clients[person] = _client(rng, person, key=_key(rng), weights=weights,
                                  municipality=municipality[person.centre], born=born,
                                  consent_at=consent)

    counts = _service_counts(rng, reference["service_mix_pct"],
                             visits=reference["visits_total"], attendances=sessions.attendances)
    counts["counselling"] = counts.get("counselling", 0) - sessions.attendances
    made: Counter[_Person] = Counter()
    visits = []
    for person, services in zip(direct, _spread_services(rng, len(direct), counts), strict=True):
        at = person.visit_days[made[person]]  # direct visitors attend no session
        made[person] += 1
        visits.append(_visit(rng, clients[person], key=_key(rng), centre_key=person.centre,
                             at=at, services=services))
    visits.sort(key=lambda v: (v.occurred_at, v.key))
    planned_sessions = tuple(
        PlannedSession(
            key=_key(rng), tenant_id=centre.tenant_id, centre_key=centre.key,
            topic=example["topic"], held_at=held_at,
            attendee_keys=tuple(clients[p].key for p in seated_here),
            facilitators=(f"MSC counsellor, {centre.name}",),
            partner_institution=f"Adult education centre {centre.name}")
        for centre, held_at, seated_here in zip(sessions.centres, sessions.held_at,
                                                sessions.seats, strict=True))
    ordered = sorted(clients.values(), key=lambda c: (c.consent_given_at, c.key))
    return DemoPlan(seed=seed, start=start, end=end, centres=centres, clients=tuple(ordered),
                    visits=tuple(visits), sessions=planned_sessions)


def calibrated_plan(reference: Mapping[str, Any], *, seed: int) -> DemoPlan:
    """A plan whose quarterly figures are exactly those of `reference`, different per seed.

    Shares are met by exact counts; rankings by weights, then checked: a rare draw that misses
    one is replaced by the next draw of the same seed.
    """
    rng = _seeded(seed)
    problems: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        plan = _draw(rng, reference, seed)
        figures = quarterly_figures(all_visit_records(plan), centres=centre_records(plan))
        problems = compare_with_reference(figures, reference)
        if not problems:
            return plan
    raise ValueError(f"no plan reproduces the report after {MAX_ATTEMPTS} draws: {problems}")


# --- Uncalibrated data of any size -----------------------------------------------------------

SCALED_TENANTS = Weighted({"XK": 22, "MK": 18, "AL": 16, "RS": 14, "BA": 12, "HR": 10,
                           "ME": 8})
SCALED_IMMIGRANT_SHARE = {"AL": 0.15, "ME": 0.14, "HR": 0.10, "RS": 0.05, "BA": 0.02,
                          "XK": 0.01, "MK": 0.02}
SCALED_EMPLOYMENT = Weighted({"unemployed": 55, "employed": 22, "self_employed": 8,
                              "student": 9, "inactive": 6})
SCALED_INTENTIONS = Weighted({"labour": 60, **OTHER_INTENTIONS})
SCALED_PERMITS = Weighted({"work_permit": 60, **OTHER_PERMITS})
VISITS_PER_CLIENT = 1.25
CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class ScaledPlan:
    """Plausible, uncalibrated records of any size; clients and visits are made on demand."""

    seed: int
    start: date
    end: date
    visits_total: int
    clients_total: int
    centres: tuple[PlannedCentre, ...]
    centres_by_tenant: Mapping[str, tuple[PlannedCentre, ...]]

    def _home(self, index: int) -> tuple[bytes, str, PlannedCentre, datetime]:
        """Client `index`'s hash, tenant, centre and first visit, from the seed alone."""
        digest = hashlib.blake2b(f"{self.seed}:{index}".encode(), digest_size=24).digest()
        tenant = SCALED_TENANTS.at(int.from_bytes(digest[16:20]) / 2**32)
        mine = self.centres_by_tenant[tenant]
        centre = mine[digest[20] % len(mine)]
        days = (self.end - self.start).days + 1
        day = self.start + timedelta(days=int.from_bytes(digest[21:23]) % days)
        first = datetime.combine(day, time(WORKING_HOURS[digest[23] % len(WORKING_HOURS)]),
                                 tzinfo=UTC)
        return digest, tenant, centre, first

    def client_key(self, index: int) -> str:
        return _digest_key(self._home(index)[0])

    def client(self, index: int) -> PlannedClient:
        """Client `index` (0 <= index < clients_total), the same on every call."""
        digest, tenant, centre, first = self._home(index)
        rng = _seeded(int.from_bytes(digest[:8]))
        immigrant = rng.random() < SCALED_IMMIGRANT_SHARE[tenant]
        age = min(64, max(18, round(rng.gauss(33, 10))))
        employment = SCALED_EMPLOYMENT.pick(rng)
        person = _Person(
            tenant=tenant, category="immigrant" if immigrant else "national",
            sex="male" if rng.random() < (0.65 if immigrant else 0.72) else "female", age=age,
            urban=rng.random() < 0.6, employment=employment,
            experienced=not immigrant and rng.random() < 0.45,
            intention=(IMMIGRANT_INTENTIONS if immigrant else SCALED_INTENTIONS).pick(rng),
            permit=SCALED_PERMITS.pick(rng) if immigrant else "",
            citizenship=rng.choice(IMMIGRANT_ORIGINS[tenant]) if immigrant else "",
            centre=centre.key)
        consent = first - timedelta(minutes=rng.randint(5, 40))
        born = _born(rng, age, first.date(), set())
        return _client(rng, person, key=_digest_key(digest), weights=_SCALED_WEIGHTS,
                       municipality=centre.municipality_code, born=born, consent_at=consent,
                       confirm_new=True)

    def clients(self) -> Iterator[PlannedClient]:
        """Every client, in key order of creation; load them before the visits."""
        return (self.client(index) for index in range(self.clients_total))

    def visits(self) -> Iterator[PlannedVisit]:
        """`visits_total` visits: each client's first, then returns of random clients."""
        for chunk_start in range(0, self.visits_total, CHUNK):
            rng = _seeded(f"{self.seed}:visits:{chunk_start}")
            for index in range(chunk_start, min(chunk_start + CHUNK, self.visits_total)):
                client_index = (index if index < self.clients_total
                                else rng.randrange(self.clients_total))
                digest, tenant, centre, first = self._home(client_index)
                at = first
                if index >= self.clients_total:
                    later = rng.randint(0, (self.end - first.date()).days)
                    at = first + timedelta(days=later, minutes=rng.randint(0, 60 * 6))
                draw = rng.random()
                services = (("information",) if draw < 0.8 else ("information", "counselling")
                            if draw < 0.9 else ("counselling",) if draw < 0.95
                            else ("information", "referral"))
                yield PlannedVisit(
                    key=str(uuid.UUID(int=rng.getrandbits(128), version=4)), tenant_id=tenant,
                    client_key=_digest_key(digest), centre_key=centre.key,
                    occurred_at=at, channel=CHANNELS.pick(rng), services=services,
                    topics=(rng.choice(INTENTION_TOPICS["labour"]),) if "information"
                    in services else ())


def _digest_key(digest: bytes) -> str:
    return str(uuid.UUID(bytes=digest[:16], version=4))


_SCALED_WEIGHTS = _weights(_seeded(0), DEFAULT_REPORT)


def scaled_plan(*, seed: int, visits: int, start: date, end: date) -> ScaledPlan:
    """Uncalibrated demo data of `visits` visits between `start` and `end` (inclusive).

    About 1.25 visits per client. Nothing is held in memory but the centres: iterate
    `plan.clients()` then `plan.visits()` in chunks of any size. Clients carry
    `confirm_new=True`: at this size, two people of a tenant share a birth date and a similar
    name, and they are different people.
    """
    if visits < 1 or end < start:
        raise ValueError("a scaled plan needs at least one visit and start <= end")
    centres = _centres(_seeded(seed), list(CENTRE_CATALOGUE), 21)
    return ScaledPlan(seed=seed, start=start, end=end, visits_total=visits,
                      clients_total=max(1, round(visits / VISITS_PER_CLIENT)), centres=centres,
                      centres_by_tenant={t: tuple(c for c in centres if c.tenant_id == t)
                                         for t in CENTRE_CATALOGUE})
