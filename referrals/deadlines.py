"""When an institution must have answered a referral: a number of working days after sending.

Working days are counted in the tenant's own time zone and calendar, because that is where the
institution works; the result is returned in UTC so it can be stored and compared anywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

TENANT_TIMEZONES: dict[str, str] = {
    "AL": "Europe/Tirane",
    "BA": "Europe/Sarajevo",
    "HR": "Europe/Zagreb",
    "XK": "Europe/Belgrade",  # Kosovo has no zone of its own in the tz database
    "MK": "Europe/Skopje",
    "ME": "Europe/Podgorica",
    "RS": "Europe/Belgrade",
}

DEFAULT_WORKING_DAYS = 5

_ONE_DAY = timedelta(days=1)


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday, and not a public holiday."""
    return day.weekday() < 5 and day not in holidays


def answer_deadline(sent_at: datetime, working_days: int, holidays: Collection[date],
                    tz: ZoneInfo) -> datetime:
    """The moment, in UTC, `working_days` working days after `sent_at` at the same local time.

    The day of sending never counts (a referral sent on Friday evening or on Saturday gets the
    same full days). The wall-clock time is kept rather than a fixed number of hours, so the
    deadline does not shift by an hour across a daylight-saving change.
    """
    if sent_at.tzinfo is None or sent_at.utcoffset() is None:
        raise ValueError(f"sent_at must be timezone-aware, got {sent_at!r}")
    if working_days < 1:
        raise ValueError(f"working_days must be at least 1, got {working_days}")
    local = sent_at.astimezone(tz)
    day, counted = local.date(), 0
    while counted < working_days:
        day += _ONE_DAY
        if is_working_day(day, holidays):
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=tz).astimezone(UTC)


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """How many working days fall in (start, end]: the days already used out of a deadline."""
    count, day = 0, start
    while day < end:
        day += _ONE_DAY
        if is_working_day(day, holidays):
            count += 1
    return count
