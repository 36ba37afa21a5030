"""The citizen's consents page with 50 and 500 consents (and a background of other citizens' rows).

    .venv/bin/python bench/citizen_page.py [--background 200000] [--repeat 20]

Uses a dedicated database (ileti_bench_citizens, dropped, created and migrated) unless BENCH_DATABASE_URL says
otherwise. In one process it builds the rows set-based, then times GET /vatandas/ through Django's test client
(whole request: session, middleware, queries, template) as the median of --repeat runs, and, as the baseline,
the one SELECT that fetches the same consents. SPEC §6: ≤ 200 ms with a query count that does not grow.
Last line: RESULT page_500_ms=<m> queries_50=<q> queries_500=<q> page_vs_select=<x>
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench_citizens")


def _recreate_database() -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    with psycopg.connect(f"{url.scheme}://{url.netloc}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _populate(phone: str, n: int, provider_code: int) -> None:
    """n consents of one phone over n/2 brands (MESAJ + ARAMA), each with a CREATE and a RET/ONAY history."""
    from django.db import connection

    from providers.models import Brand, Provider

    provider = Provider.objects.create(name=f"Bench {provider_code}", iys_code=provider_code)
    Brand.objects.bulk_create(
        [Brand(provider=provider, name=f"Marka {provider_code}-{i}", brand_code=provider_code * 1000 + i)
         for i in range((n + 1) // 2)]
    )
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO consents_consent (brand_id, recipient, recipient_type, channel, status, source,
                consent_date, created_at, updated_at, transaction_id)
            SELECT b.id, %(phone)s, 'BIREYSEL', ch, 'ONAY', 'HS_WEB', now() - interval '3 days', now(), now(),
                   md5(b.id::text || ch)
            FROM providers_brand b CROSS JOIN (VALUES ('MESAJ'), ('ARAMA')) AS c(ch)
            WHERE b.provider_id = %(provider)s
            """,
            {"phone": phone, "provider": provider.pk},
        )
        cur.execute(
            """
            INSERT INTO consents_consentevent (consent_id, brand_id, recipient, recipient_type, channel, action,
                previous_status, status, source, consent_date, created_at, transaction_id, actor_kind, actor_ref,
                actor_label, via, late_report)
            SELECT id, brand_id, recipient, recipient_type, channel, 'CREATE', NULL, status, source, consent_date,
                   created_at, transaction_id, 'PROVIDER', 'bench', 'bench', 'UPLOAD', false
            FROM consents_consent WHERE recipient = %(phone)s
            """,
            {"phone": phone},
        )


def _background(rows: int) -> None:
    from django.db import connection

    from providers.models import Brand, Provider

    provider = Provider.objects.create(name="Bench background", iys_code=990999)
    brand = Brand.objects.create(provider=provider, name="Arka plan", brand_code=990999, is_master=True)
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO consents_consent (brand_id, recipient, recipient_type, channel, status, source,
                consent_date, created_at, updated_at, transaction_id)
            SELECT %(brand)s, '+90539' || lpad(g::text, 7, '0'), 'BIREYSEL', 'MESAJ', 'ONAY', 'HS_WEB',
                   now() - interval '3 days', now(), now(), md5('bg' || g::text)
            FROM generate_series(1, %(n)s) AS g
            """,
            {"brand": brand.pk, "n": rows},
        )
        cur.execute("VACUUM ANALYZE consents_consent")
        cur.execute("VACUUM ANALYZE consents_consentevent")


def _time_page(phone: str, repeat: int) -> tuple[float, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from citizens.auth import CITIZEN_SESSION_KEY
    from citizens.models import Citizen, CitizenAddress

    citizen = Citizen.objects.create()
    CitizenAddress.objects.create(citizen=citizen, value=phone, kind="phone", verified_at=citizen.created_at)
    client = Client()
    session = client.session
    session[CITIZEN_SESSION_KEY] = citizen.pk
    session.save()
    client.get("/vatandas/")  # warm up templates and connections
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/vatandas/")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get("/vatandas/")
    print(f"  page timings: min {min(timings) * 1000:.1f} ms, median {statistics.median(timings) * 1000:.1f} ms")
    return statistics.median(timings) * 1000, len(ctx.captured_queries)


def _time_select(phone: str, repeat: int) -> float:
    from consents.models import Consent

    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        list(Consent.objects.filter(recipient=phone).select_related("brand", "brand__provider"))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--background", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=DB_URL, DEBUG="false",
                      LOG_LEVEL="WARNING", ALLOWED_HOSTS="testserver")
    _recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _populate("+905320000050", 50, 991050)
    _populate("+905320000500", 500, 991500)
    _background(args.background)

    results = {}
    for n in (50, 500):
        page_ms, queries = _time_page(f"+90532{n:07d}", args.repeat)
        select_ms = _time_select(f"+90532{n:07d}", args.repeat)
        results[n] = (page_ms, queries, select_ms)
        print(f"{n} consents: page {page_ms:.1f} ms, {queries} queries; the bare SELECT {select_ms:.2f} ms")
    page_ms, _, select_ms = results[500]
    print(
        f"RESULT page_500_ms={page_ms:.1f} queries_50={results[50][1]} queries_500={results[500][1]} "
        f"page_vs_select={page_ms / select_ms:.1f}"
    )


if __name__ == "__main__":
    main()
