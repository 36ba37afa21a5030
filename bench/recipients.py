"""Distinct, valid recipients for the benches, at any size, in Python and in SQL (the same numbering).

Mobile number n walks the 20 mobile prefixes 530-549 first (n % 20), then the 7-digit subscriber part
(n // 20): 200 million distinct numbers the registry accepts (it refuses unassigned prefixes, as İYS does).
Earlier benches wrote '+90530' + n as 7 digits, which silently grew an eighth digit past 10 million.
Past the plan's capacity `mobile` refuses rather than repeat or invent numbers; `email` never runs out.
"""
from __future__ import annotations

PREFIXES = 20  # 530..549
SUBSCRIBERS = 10_000_000  # 7 digits
MOBILE_CAPACITY = PREFIXES * SUBSCRIBERS


def national(n: int) -> str:
    """The 10-digit national form (5XXXXXXXXX) of mobile number n."""
    if not 0 <= n < MOBILE_CAPACITY:
        raise ValueError(f"mobile number {n} is outside the plan's {MOBILE_CAPACITY:,} numbers; use email(n)")
    return f"5{30 + n % PREFIXES:02d}{n // PREFIXES:07d}"


def mobile(n: int) -> str:
    """Mobile number n in E.164 (+905XXXXXXXXX)."""
    return "+90" + national(n)


def email(n: int, domain: str = "example.com") -> str:
    return f"kisi{n}@{domain}"


def mobile_sql(expr: str) -> str:
    """SQL text of `mobile(expr)` for an integer SQL expression (e.g. generate_series' g), same numbering.

    mod() rather than '%', so the text is safe inside statements with driver parameters."""
    return (
        f"('+905' || lpad((30 + mod({expr}, {PREFIXES}))::text, 2, '0') "
        f"|| lpad((({expr}) / {PREFIXES})::text, 7, '0'))"
    )
