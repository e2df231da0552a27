"""Answer deadlines in working days, in the tenant's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.deadlines import (
    DEFAULT_WORKING_DAYS,
    TENANT_TIMEZONES,
    answer_deadline,
    working_days_between,
)

BELGRADE = ZoneInfo("Europe/Belgrade")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Belgrade."""
    return datetime(year, month, day, hour, minute, tzinfo=BELGRADE)


def test_five_working_days_from_a_friday_end_on_the_next_friday_at_the_same_time() -> None:
    deadline = answer_deadline(local(2026, 11, 27, 10, 0), DEFAULT_WORKING_DAYS, (), BELGRADE)
    assert deadline == local(2026, 12, 4, 10, 0)
    assert deadline.tzinfo is UTC


def test_a_holiday_pushes_the_deadline_over_the_weekend() -> None:
    deadline = answer_deadline(local(2026, 11, 27, 10, 0), 5, {date(2026, 12, 2)}, BELGRADE)
    assert deadline == local(2026, 12, 7, 10, 0)


def test_a_referral_sent_on_saturday_counts_from_monday() -> None:
    deadline = answer_deadline(local(2026, 11, 28, 10, 0), 5, (), BELGRADE)
    assert deadline == local(2026, 12, 4, 10, 0)
    assert answer_deadline(local(2026, 11, 28, 10, 0), 1, (), BELGRADE) == local(2026, 11, 30, 10)


def test_the_local_time_is_kept_across_the_end_of_summer_time() -> None:
    # Summer time in Belgrade ends on Sunday 25 October 2026: 10:00 is 08:00 UTC before,
    # 09:00 UTC after.
    sent = datetime(2026, 10, 22, 8, 0, tzinfo=UTC)
    deadline = answer_deadline(sent, 5, (), BELGRADE)
    assert deadline == datetime(2026, 10, 29, 9, 0, tzinfo=UTC)
    assert deadline.astimezone(BELGRADE).hour == 10


def test_the_local_time_is_kept_across_the_start_of_summer_time() -> None:
    # Summer time starts on Sunday 29 March 2026: 10:00 is 09:00 UTC before, 08:00 after.
    deadline = answer_deadline(local(2026, 3, 26, 10, 0), 2, (), BELGRADE)
    assert deadline == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_a_naive_time_and_a_non_positive_count_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        answer_deadline(datetime(2026, 11, 27, 10, 0), 5, (), BELGRADE)  # noqa: DTZ001
    with pytest.raises(ValueError, match="at least 1"):
        answer_deadline(local(2026, 11, 27, 10, 0), 0, (), BELGRADE)


def test_working_days_between_counts_the_half_open_interval() -> None:
    friday, next_friday = date(2026, 11, 27), date(2026, 12, 4)
    assert working_days_between(friday, next_friday, ()) == 5
    assert working_days_between(friday, next_friday, {date(2026, 12, 2)}) == 4
    assert working_days_between(friday, friday, ()) == 0
    assert working_days_between(next_friday, friday, ()) == 0
    assert working_days_between(friday, date(2026, 11, 29), ()) == 0  # the weekend


def test_every_tenant_zone_exists() -> None:
    assert set(TENANT_TIMEZONES) == {"AL", "BA", "HR", "XK", "MK", "ME", "RS"}
    for name in TENANT_TIMEZONES.values():
        ZoneInfo(name)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),  # noqa: DTZ001
                 timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=30),
    st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2036, 3, 31)), max_size=20),
    st.sampled_from(sorted(set(TENANT_TIMEZONES.values()))),
)
def test_the_deadline_uses_up_exactly_the_working_days_and_ends_on_one(
        sent: datetime, days: int, holidays: set[date], zone: str) -> None:
    tz = ZoneInfo(zone)
    deadline = answer_deadline(sent, days, holidays, tz)
    sent_local, deadline_local = sent.astimezone(tz), deadline.astimezone(tz)
    assert working_days_between(sent_local.date(), deadline_local.date(), holidays) == days
    assert deadline_local.weekday() < 5 and deadline_local.date() not in holidays
    # At least `days` days of the local calendar and clock; in absolute time a week with the
    # spring clock change is an hour shorter (sent 01:00 Sunday, due 01:00 Monday: 23 hours).
    wall_clock = deadline_local.replace(tzinfo=None) - sent_local.replace(tzinfo=None)
    assert wall_clock >= timedelta(days=days)
