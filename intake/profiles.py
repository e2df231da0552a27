"""A client's coded profile: what events and statistics see of a person (never who they are)."""

from __future__ import annotations

from datetime import date

from intake.events import ClientProfile, PreviousStay
from intake.models import Client
from services.events.pseudonym import age_band_of_age


def age_on(client: Client, day: date) -> int:
    """Age in whole years on `day`; with the birth year alone, the age reached that year."""
    if client.birth_date is None:
        return max(0, day.year - client.birth_year)
    born = client.birth_date
    return max(0, day.year - born.year - ((day.month, day.day) < (born.month, born.day)))


def client_profile(client: Client, *, on: date, pseudonym: str,
                   stays: list[tuple[str, str]] | None = None) -> ClientProfile:
    """The client's coded attributes as they are now, with the age reached on `on`.

    `stays` (country, purpose) saves a query when the caller has them already.
    """
    if stays is None:
        stays = [(stay.country, stay.purpose) for stay in client.stays.all()]
    age = age_on(client, on)
    return ClientProfile(
        client_pseudonym=pseudonym,
        category=client.category,
        sex=client.sex,
        age_years=age,
        age_band=age_band_of_age(age),
        citizenship=client.citizenship,
        municipality_code=client.municipality_code,
        urban=client.urban,
        education_level=client.education_level,
        employment_status=client.employment_status,
        occupation_isco=client.occupation_isco,
        previous_stays=[PreviousStay(country=country, purpose=purpose)
                        for country, purpose in stays],
        migration_intention=client.migration_intention,
        preferred_destinations=list(client.preferred_destinations),
        permit_status=client.permit_status,
    )
