"""The business portal's dashboard and CSV export for a small and a large provider.

    .venv/bin/python bench/portal.py [--small 10000] [--large 1000000] [--repeat 5]

Uses a dedicated database (ileti_bench_portal, dropped, created and migrated) unless BENCH_DATABASE_URL says
otherwise. In one process it builds two providers set-based (consents over 60 days, one history row each,
every 10th a citizen rejection), then, through Django's test client (session, middleware, queries, template):
- GET /isletme/ for each with the numbers computed (cache emptied before each request): median time and
  query count (the count must not grow with the data); and for the large one served from the cache, which
  is what users see (the numbers are refreshed by a background task after a minute);
- the streaming CSV export of each: rows per second, and the peak of Python allocations while streaming
  (tracemalloc) — constant memory means the large export peaks about where the small one does; the
  baseline is the same rows fetched with one plain SELECT into a list.
The numbers come from the running totals every write path keeps (consents.counts); the bench's rows are
inserted around the services, so it recounts them once before timing.
Second-last line: dashboard_large_ms=<m> dashboard_large_computed_ms=<m> queries_small=<q> queries_large=<q>
export_rows_per_s=<n> export_peak_small_kb=<k> export_peak_large_kb=<k> list_peak_large_kb=<k>
Last line (computed numbers, --small vs --large; the names say 10k and 1m, the defaults):
RESULT dashboard_10k_ms=<m> dashboard_1m_ms=<m> dashboard_growth=<large/small>
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recipients  # noqa: E402  (bench/recipients.py: the benches' shared recipient numbering)

MOBILE = recipients.mobile_sql("g")  # distinct valid mobiles for any row count the plan holds

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench_portal")


def _recreate_database() -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    with psycopg.connect(f"{url.scheme}://{url.netloc}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _populate(n: int, code: int) -> object:
    """A provider with two brands and n consents, each with its CREATE row; every 10th rejected by a citizen."""
    from django.db import connection

    from providers.models import Brand, Membership, Provider
    from tests.factories import UserFactory

    provider = Provider.objects.create(name=f"Bench {code}", iys_code=code)
    brands = [
        Brand.objects.create(provider=provider, name=f"Marka {code}-{i}", brand_code=code * 10 + i, is_master=i == 0)
        for i in range(2)
    ]
    user = UserFactory(username=f"bench{code}")
    Membership.objects.create(user=user, provider=provider, role="OWNER")
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO consents_consent (brand_id, recipient, recipient_type, channel, status, source,
                consent_date, created_at, updated_at, transaction_id)
            SELECT CASE WHEN g %% 2 = 0 THEN %(b0)s ELSE %(b1)s END,
                   {MOBILE}, 'BIREYSEL',
                   CASE WHEN g %% 3 = 0 THEN 'ARAMA' ELSE 'MESAJ' END,
                   CASE WHEN g %% 10 = 0 THEN 'RET' ELSE 'ONAY' END, 'HS_WEB',
                   now() - (60 - g * 60 / %(n)s) * interval '1 day', now() - (60 - g * 60 / %(n)s) * interval '1 day',
                   now(), md5(%(code)s::text || '-' || g::text)
            FROM generate_series(1, %(n)s) AS g
            """,
            {"b0": brands[0].pk, "b1": brands[1].pk, "code": code % 1000, "n": n},
        )
        cur.execute(
            """
            INSERT INTO consents_consentevent (consent_id, brand_id, recipient, recipient_type, channel, action,
                previous_status, status, source, consent_date, created_at, transaction_id, actor_kind, actor_ref,
                actor_label, via, late_report)
            SELECT id, brand_id, recipient, recipient_type, channel, 'CREATE', NULL, status,
                   CASE WHEN status = 'RET' THEN 'IYS_WEB' ELSE source END, consent_date, created_at,
                   transaction_id, CASE WHEN status = 'RET' THEN 'CITIZEN' ELSE 'PROVIDER' END, 'bench', 'bench',
                   'UPLOAD', false
            FROM consents_consent WHERE brand_id IN (%(b0)s, %(b1)s) ORDER BY created_at
            """,
            {"b0": brands[0].pk, "b1": brands[1].pk},
        )
    return user


def _client_for(user: object) -> object:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _time_dashboard(user: object, repeat: int, *, cold: bool) -> tuple[float, int]:
    """Median time and query count of GET /isletme/; cold = numbers computed (cache emptied) each time."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client_for(user)
    client.get("/isletme/")  # warm up templates, connections, and (for the warm case) the cache
    timings = []
    for _ in range(repeat):
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get("/isletme/")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        client.get("/isletme/")
    return statistics.median(timings) * 1000, len(ctx.captured_queries)


def _export(user: object) -> tuple[int, float, int]:
    client = _client_for(user)
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get("/isletme/izinler/disa-aktar/")
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines - 1, elapsed, peak // 1024


def _list_peak(user: object) -> int:
    from consents.models import Consent
    from consents.portal.export import COLUMNS

    tracemalloc.start()
    rows = list(Consent.objects.filter(brand__provider__memberships__user=user).values_list(*COLUMNS))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del rows
    return peak // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=DB_URL, DEBUG="false",
                      LOG_LEVEL="WARNING", ALLOWED_HOSTS="testserver")
    _recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    small_user = _populate(args.small, 991001)
    large_user = _populate(args.large, 991002)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE consents_consent")
        cur.execute("VACUUM ANALYZE consents_consentevent")
    print(f"built {args.small} + {args.large} consents in {time.perf_counter() - started:.1f} s")
    # The rows were written around the services (as a data migration or a repair would): the dashboard's
    # running totals from the rows, once. From then on every write path keeps them.
    from consents import counts

    started = time.perf_counter()
    counts.recount()
    print(f"recounted the dashboard's totals from the rows in {time.perf_counter() - started:.1f} s (once)")

    small_ms, small_q = _time_dashboard(small_user, args.repeat, cold=True)
    large_ms, large_q = _time_dashboard(large_user, args.repeat, cold=True)
    warm_ms, warm_q = _time_dashboard(large_user, args.repeat, cold=False)
    print(f"dashboard computed: {args.small} consents {small_ms:.0f} ms / {small_q} queries; "
          f"{args.large} consents {large_ms:.0f} ms / {large_q} queries")
    print(f"dashboard from the cache (refreshed in the background after a minute): {args.large} consents "
          f"{warm_ms:.0f} ms / {warm_q} queries")

    small_rows, _small_s, small_peak = _export(small_user)
    large_rows, large_s, large_peak = _export(large_user)
    list_peak = _list_peak(large_user)
    assert small_rows == args.small and large_rows == args.large, (small_rows, large_rows)
    print(f"export: {args.small} rows peak {small_peak} KiB; {args.large} rows in {large_s:.1f} s, "
          f"peak {large_peak} KiB (a plain list of the same rows: {list_peak} KiB)")
    print(
        f"dashboard_large_ms={warm_ms:.0f} dashboard_large_computed_ms={large_ms:.0f} "
        f"queries_small={small_q} queries_large={large_q} "
        f"export_rows_per_s={large_rows / large_s:.0f} export_peak_small_kb={small_peak} "
        f"export_peak_large_kb={large_peak} list_peak_large_kb={list_peak}"
    )
    # Computed (cache emptied), the whole request: growth is large over small, target <= 1.2.
    print(
        f"RESULT dashboard_10k_ms={small_ms:.1f} dashboard_1m_ms={large_ms:.1f} "
        f"dashboard_growth={large_ms / small_ms:.2f}"
    )


if __name__ == "__main__":
    main()
