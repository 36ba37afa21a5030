"""Business days skip weekends and Turkish public holidays, religious ones included (rule 6)."""
import datetime as dt

import pytest

from consents.business_days import add_business_days, is_business_day, within_registration_window
from consents.rules import ISTANBUL


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        (dt.date(2025, 11, 5), dt.date(2025, 11, 10), "Wednesday + 3 crosses a weekend"),
        (dt.date(2025, 11, 7), dt.date(2025, 11, 12), "Friday + 3 lands on Wednesday"),
        (dt.date(2025, 10, 27), dt.date(2025, 10, 31), "Republic Day (29 Oct, fixed) is skipped"),
        (dt.date(2026, 4, 21), dt.date(2026, 4, 27), "23 April (fixed) and a weekend are skipped"),
        (dt.date(2025, 3, 27), dt.date(2025, 4, 3), "Ramazan Bayramı 2025 (30 Mar – 1 Apr) is skipped"),
        (dt.date(2025, 6, 4), dt.date(2025, 6, 11), "Kurban Bayramı 2025 (6–9 Jun) is skipped"),
        (dt.date(2026, 3, 18), dt.date(2026, 3, 24), "Ramazan Bayramı 2026 (20–22 Mar) and a weekend"),
        (dt.date(2026, 5, 25), dt.date(2026, 6, 2), "Kurban Bayramı 2026 (27–30 May) is skipped"),
    ],
)
def test_three_business_days(start, expected, why):
    assert add_business_days(start, 3) == expected, why


def test_holidays_and_weekends_are_not_business_days():
    assert not is_business_day(dt.date(2025, 11, 8))  # Saturday
    assert not is_business_day(dt.date(2026, 1, 1))  # New Year
    assert not is_business_day(dt.date(2026, 5, 27))  # Kurban Bayramı
    assert is_business_day(dt.date(2026, 5, 26))  # arife is a half day: the registry is open


def test_window_is_counted_in_istanbul_time():
    # 23:30 on Friday in Istanbul is 20:30 UTC: still Friday, so the window ends on Wednesday.
    given = dt.datetime(2025, 11, 7, 23, 30, tzinfo=ISTANBUL)
    assert within_registration_window(given, dt.datetime(2025, 11, 12, 23, 0, tzinfo=ISTANBUL))
    assert not within_registration_window(given, dt.datetime(2025, 11, 13, 0, 5, tzinfo=ISTANBUL))
