"""Running totals for the dashboard (consents.models.counts): added by every write path, rebuilt by a recount.

Every path that writes consents or history adds its changes here in its own transaction, set-based:
- the single-consent service (`consents.services._apply`): -1 on the key the locked row had, +1 on its new key;
- the upload apply: PostgreSQL's statement returns its changes grouped by key (from the RETURNING of its
  upsert), SQLite's are summed from its RETURNING rows;
- the review finaliser: a finalised consent leaves its period's pending count.
Each call is one INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n (PostgreSQL and SQLite alike), on the
session's own slot (see the models), so it never waits for another writer.

A consent's key is (brand, channel, recipient type, status, review_period); a movement's is (brand, Istanbul
day, status, by a citizen). Finalising is not a movement (it is not counted in the chart, as İYS's feeds leave
it out), but it moves the consent out of its pending-review count.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from .models import ConsentCount, MovementCount, Status
from .rules import ISTANBUL

ConsentKey = tuple[int, str, str, str, int]  # brand_id, channel, recipient_type, status, review_period
MovementKey = tuple[int, dt.date, str, bool]  # brand_id, day, status, by_citizen

# review_period of a consent row, in SQL (the table alias is the caller's).
REVIEW_PERIOD_SQL = (
    "CASE WHEN {t}status = 'ONAY' AND {t}review_until IS NOT NULL AND {t}finalized_at IS NULL "
    "THEN COALESCE({t}declaration_period_id, -1) ELSE 0 END"
)


def review_period(status: str, review_until: Any, finalized_at: Any, period_id: int | None) -> int:
    """The review_period part of a consent's key: its period while it is under citizen review, else 0."""
    if status == Status.ONAY and review_until is not None and finalized_at is None:
        return period_id or -1
    return 0


def consent_key(consent: Any) -> ConsentKey:
    return (
        consent.brand_id, consent.channel, consent.recipient_type, consent.status,
        review_period(consent.status, consent.review_until, consent.finalized_at, consent.declaration_period_id),
    )


def day_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, ISTANBUL).date()


def _slot_sql() -> str:
    # PostgreSQL: the session's own row (see consents.models.counts); SQLite has one writer at a time.
    return "pg_backend_pid()" if connection.vendor == "postgresql" else "0"


def add(
    consents: Mapping[ConsentKey, int] | None = None, movements: Mapping[MovementKey, int] | None = None
) -> None:
    """Add these changes to the totals, in the caller's transaction (one statement per table)."""
    slot = _slot_sql()
    with connection.cursor() as cursor:
        rows = sorted((key, n) for key, n in (consents or {}).items() if n)
        if rows:
            cursor.execute(
                "INSERT INTO consents_consentcount (brand_id, channel, recipient_type, status, review_period, "
                "slot, n) VALUES "
                + ", ".join([f"(%s, %s, %s, %s, %s, {slot}, %s)"] * len(rows))
                + " ON CONFLICT (brand_id, channel, recipient_type, status, review_period, slot) "
                "DO UPDATE SET n = consents_consentcount.n + excluded.n",
                [value for key, n in rows for value in (*key, n)],
            )
        rows = sorted((key, n) for key, n in (movements or {}).items() if n)
        if rows:
            cursor.execute(
                "INSERT INTO consents_movementcount (brand_id, day, status, by_citizen, slot, n) VALUES "
                + ", ".join([f"(%s, %s, %s, %s, {slot}, %s)"] * len(rows))
                + " ON CONFLICT (brand_id, day, status, by_citizen, slot) "
                "DO UPDATE SET n = consents_movementcount.n + excluded.n",
                [value for key, n in rows for value in (*key, n)],
            )


# --- Recount ----------------------------------------------------------------------------------------

def _day_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'Europe/Istanbul')::date"
    # Django stores UTC text on SQLite; Istanbul has been UTC+3 all year since 2016.
    return f"date({column}, '+3 hours')"


def _brand_filter(brand_ids: list[int] | None, column: str = "brand_id") -> tuple[str, list[Any]]:
    if brand_ids is None:
        return "", []
    if not brand_ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(brand_ids))})", list(brand_ids)


def _count_selects(brand_ids: list[int] | None) -> tuple[tuple[str, str], list[Any]]:
    where, params = _brand_filter(brand_ids)
    period = REVIEW_PERIOD_SQL.format(t="")
    day = _day_sql("created_at")
    citizen = "CASE WHEN actor_kind = 'CITIZEN' THEN 1 ELSE 0 END"  # a boolean on PostgreSQL and SQLite
    return (
        f"SELECT brand_id, channel, recipient_type, status, {period} AS review_period, count(*) AS n "
        f"FROM consents_consent "
        f"WHERE 1 = 1{where} GROUP BY brand_id, channel, recipient_type, status, {period}",
        f"SELECT brand_id, {day} AS day, status, {citizen} = 1 AS by_citizen, count(*) AS n "
        f"FROM consents_consentevent "
        f"WHERE action <> 'FINALIZE'{where} GROUP BY brand_id, {day}, status, {citizen}",
    ), params


def recount_sql(brand_ids: list[int] | None = None) -> list[tuple[str, list[Any]]]:
    """The statements that rebuild the totals of these brands (all brands: None) from the rows themselves."""
    where, params = _brand_filter(brand_ids)
    (consents, movements), params = _count_selects(brand_ids)
    return [
        (f"DELETE FROM consents_consentcount WHERE 1 = 1{where}", params),
        (f"DELETE FROM consents_movementcount WHERE 1 = 1{where}", params),
        (
            "INSERT INTO consents_consentcount (brand_id, channel, recipient_type, status, review_period, slot, n) "
            f"SELECT brand_id, channel, recipient_type, status, review_period, 0, n FROM ({consents}) AS c",
            params,
        ),
        (
            "INSERT INTO consents_movementcount (brand_id, day, status, by_citizen, slot, n) "
            f"SELECT brand_id, day, status, by_citizen, 0, n FROM ({movements}) AS m",
            params,
        ),
    ]


def recounted(*, brand_ids: list[int]) -> tuple[dict[ConsentKey, int], dict[MovementKey, int]]:
    """What the totals should be, counted from the rows now (for checks; the dashboard reads `totals`)."""
    (consents, movements), params = _count_selects(brand_ids)
    with connection.cursor() as cursor:
        cursor.execute(consents, params)
        kept = {tuple(row[:5]): row[5] for row in cursor.fetchall()}
        cursor.execute(movements, params)
        moved = {}
        for brand_id, day, status, by_citizen, n in cursor.fetchall():
            if isinstance(day, str):  # SQLite's date()
                day = dt.date.fromisoformat(day)
            moved[(brand_id, day, status, bool(by_citizen))] = n
    return kept, moved


def recount(*, brand_ids: list[int] | None = None) -> None:
    """Rebuild the totals from the consents and their history (data written around the services: demo data,
    benches, repairs). Locks the counter tables for the moment, so no writer adds to what is being rebuilt."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE consents_consentcount, consents_movementcount IN EXCLUSIVE MODE")
        for sql, params in recount_sql(brand_ids):
            cursor.execute(sql, params)


def totals(*, brand_ids: list[int]) -> tuple[dict[ConsentKey, int], dict[MovementKey, int]]:
    """The totals as kept (slots summed, zeros left out): what the dashboard reads."""
    consents = {}
    for brand_id, channel, rtype, status, period, n in (
        ConsentCount.objects.filter(brand_id__in=brand_ids)
        .values_list("brand_id", "channel", "recipient_type", "status", "review_period")
        .annotate(total=Sum("n"))
        .order_by()
    ):
        if n:
            consents[(brand_id, channel, rtype, status, period)] = n
    movements = {}
    for brand_id, day, status, by_citizen, n in (
        MovementCount.objects.filter(brand_id__in=brand_ids)
        .values_list("brand_id", "day", "status", "by_citizen")
        .annotate(total=Sum("n"))
        .order_by()
    ):
        if n:
            movements[(brand_id, day, status, by_citizen)] = n
    return consents, movements


# --- Compaction -------------------------------------------------------------------------------------

_COMPACT = [
    """
    WITH gone AS (
        DELETE FROM consents_consentcount WHERE id IN (
            SELECT id FROM consents_consentcount WHERE slot <> 0 FOR UPDATE SKIP LOCKED)
        RETURNING brand_id, channel, recipient_type, status, review_period, n
    )
    INSERT INTO consents_consentcount AS k (brand_id, channel, recipient_type, status, review_period, slot, n)
    SELECT brand_id, channel, recipient_type, status, review_period, 0, sum(n) FROM gone
    GROUP BY brand_id, channel, recipient_type, status, review_period
    ORDER BY brand_id, channel, recipient_type, status, review_period
    ON CONFLICT (brand_id, channel, recipient_type, status, review_period, slot) DO UPDATE SET n = k.n + excluded.n
    """,
    """
    WITH gone AS (
        DELETE FROM consents_movementcount WHERE id IN (
            SELECT id FROM consents_movementcount WHERE slot <> 0 FOR UPDATE SKIP LOCKED)
        RETURNING brand_id, day, status, by_citizen, n
    )
    INSERT INTO consents_movementcount AS k (brand_id, day, status, by_citizen, slot, n)
    SELECT brand_id, day, status, by_citizen, 0, sum(n) FROM gone
    GROUP BY brand_id, day, status, by_citizen ORDER BY brand_id, day, status, by_citizen
    ON CONFLICT (brand_id, day, status, by_citizen, slot) DO UPDATE SET n = k.n + excluded.n
    """,
]


def compact() -> None:
    """Fold the sessions' rows into slot 0 (PostgreSQL), so the dashboard reads one row per key.

    Rows a session is adding to right now are skipped (SKIP LOCKED) and folded next time; the writers never
    wait on this for longer than its own short transaction.
    """
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in _COMPACT:
            cursor.execute(sql)
