"""Figures from per-client tallies equal the figures from visit records, for random visits.

`reference_tallies` is what the ClickHouse query of `analytics_stream.statistics` computes, in
Python; the integration test `tests/integration/test_statistics_clickhouse.py` checks the query
itself against the same pure figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

import pytest

from analytics_stream.figures import CentreRecord, VisitRecord, quarterly_figures
from analytics_stream.tallies import SESSION_SEPARATOR, Dimension, TallyRow, figures_from_tallies
from tests.analytics_stream.visit_mix import centre_names, latest_in_period, visit_mix


def reference_tallies(visits: Sequence[VisitRecord]) -> list[TallyRow]:
    """Per client: the profile of the latest visit (date, then id), and the counts the query
    emits for them, summed by tenant, class, dimension and code."""
    by_client: dict[tuple[str, str], list[VisitRecord]] = {}
    for visit in visits:
        by_client.setdefault((visit.tenant_id, visit.client_pseudonym), []).append(visit)
    values: Counter[tuple[str, bool, str, str]] = Counter()
    days: dict[tuple[str, bool, str, str], tuple[date, date]] = {}
    for (tenant, _), own in by_client.items():
        p = max(own, key=lambda v: (v.visit_date, v.visit_id))
        immigrant = p.category == "immigrant"
        sessions = {(v.group_session_topic or "", v.group_session_id, v.centre_id)
                    for v in own if v.group_session_id}
        emitted = [
            (Dimension.CLIENTS, "", 1), (Dimension.VISITS, "", len(own)),
            (Dimension.SEX, p.sex, 1), (Dimension.AGE, str(p.age_years), 1),
            (Dimension.URBAN, str(int(p.urban)), 1),
            (Dimension.EMPLOYMENT, p.employment_status, 1),
            (Dimension.EXPERIENCED, str(int(bool(p.previous_stays))), 1),
            (Dimension.INTENTION, p.migration_intention, 1),
            (Dimension.PERMIT, p.permit_status, 1),
            *[(Dimension.SERVICE, s, 1) for v in own for s in set(v.services)],
            *[(Dimension.PREVIOUS_COUNTRY, c, 1) for c in {c for c, _ in p.previous_stays}],
            *[(Dimension.PREVIOUS_PURPOSE, c, 1) for c in {u for _, u in p.previous_stays}],
            *[(Dimension.PREFERRED, c, 1) for c in set(p.preferred_destinations)],
            *[(Dimension.CENTRE, c, 1) for c in {v.centre_id for v in own}],
            *[(Dimension.SESSION, SESSION_SEPARATOR.join(s), 1) for s in sessions],
            *[(Dimension.TOPIC, t, 1) for t in {s[0] for s in sessions}],
        ]
        first = min(v.visit_date for v in own)
        last = max(v.visit_date for v in own)
        for dimension, code, value in emitted:
            key = (tenant, immigrant, str(dimension), code)
            values[key] += value
            low, high = days.get(key, (first, last))
            days[key] = (min(low, first), max(high, last))
    return [TallyRow(tenant, immigrant, dimension, code, value, *days[key])
            for key, value in values.items()
            for tenant, immigrant, dimension, code in [key]]


@pytest.mark.parametrize("seed", range(8))
def test_figures_from_tallies_equal_the_figures_from_visits(seed: int) -> None:
    rows, sessions = visit_mix(seed)
    visits = latest_in_period(rows, sessions, date(2026, 1, 1), date(2026, 3, 31))
    centres = {(v.tenant_id, v.centre_id): v.centre_name for v in visits}
    expected = quarterly_figures(visits, centres=[CentreRecord(t, c, name)
                                                  for (t, c), name in centres.items()])

    computed = figures_from_tallies(reference_tallies(visits),
                                    centre_names=centre_names(sessions))

    assert computed == expected
    assert expected.group_sessions and expected.immigrants.count and expected.nationals.clients


def test_no_visits_give_empty_figures() -> None:
    assert figures_from_tallies([], centre_names={}) == quarterly_figures([], centres=[])
