"""Business days in Turkey: weekends and public holidays (religious ones move every year).

The calendar comes from the maintained `holidays` package. Half days (arife, 28 October) count
as business days: the registry is open on them.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

REGISTRATION_WINDOW_BUSINESS_DAYS = 3
ISTANBUL = ZoneInfo("Europe/Istanbul")


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("TR", years=year).keys())


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays_of(day.year)


# Pure in its arguments (the calendar is fixed per year); cached because uploads ask per row.
@lru_cache(maxsize=4096)
def add_business_days(day: dt.date, count: int) -> dt.date:
    """The date `count` business days after `day` (`day` itself is not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Europe/Istanbul of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.date()
    # Fixed zone rather than the active one: Turkish business days, and ~10x faster per upload row.
    return moment.astimezone(ISTANBUL).date()


def registration_deadline(consent_date: dt.datetime, days: int = REGISTRATION_WINDOW_BUSINESS_DAYS) -> dt.date:
    """Last local date on which a movement given at `consent_date` may still reach the registry."""
    return add_business_days(local_date(consent_date), days)


def within_registration_window(
    consent_date: dt.datetime, now: dt.datetime, days: int = REGISTRATION_WINDOW_BUSINESS_DAYS
) -> bool:
    # n business days are at least n calendar days: a movement younger than that is in time without
    # consulting the calendar (the common case of daily uploads, a few microseconds per row saved).
    if now - consent_date < dt.timedelta(days=days):
        return True
    return local_date(now) <= registration_deadline(consent_date, days)
