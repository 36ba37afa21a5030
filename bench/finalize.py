"""Finalising 1M declared consents through a real Celery worker, next to one bare UPDATE of the same rows.

    .venv/bin/python bench/finalize.py [--rows 1000000] [--chunk-size 1000] [--chains 2]

Uses a dedicated database (ileti_bench_finalize, dropped and migrated) and Redis DB 13 unless
BENCH_DATABASE_URL / BENCH_REDIS_URL say otherwise. The baseline is the single `UPDATE … SET finalized_at`
of the same rows without history, timed and rolled back in the same run. The finaliser's figures
(per-chunk transaction times) come from the worker through Redis (consents.tasks.FINALIZE_STATS_KEY).
Last line: RESULT finalized=<n> finalize_s=<s> vs_single_update=<x> longest_chunk_s=<c>
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recipients  # noqa: E402  (bench/recipients.py: the benches' shared recipient numbering)

MOBILE = recipients.mobile_sql("g")  # distinct valid mobiles for any row count the plan holds

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench_finalize")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _env(chunk_size: int) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=DB_URL,
        REDIS_URL=REDIS_URL,
        DEBUG="false",
        REVIEW_FINALIZE_CHUNK_SIZE=str(chunk_size),
        LOG_LEVEL="WARNING",
    )
    return env


def _recreate_database() -> None:
    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    admin = f"{url.scheme}://{url.netloc}/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _generate(rows: int) -> None:
    """1M declared ONAY consents whose review ended, with their CREATE history, set-based."""
    from django.db import connection

    from consents.models import DeclarationPeriod
    from consents.selectors import review_deadline
    from providers.models import Brand, Provider

    provider = Provider.objects.create(name="Bench A.Ş.", iys_code=990001)
    brand = Brand.objects.create(provider=provider, name="Bench", brand_code=990001, is_master=True)
    period = DeclarationPeriod.objects.create(
        name="bench", tier="SMALL", declare_until=dt.date(2024, 1, 31), visible_from=dt.date(2024, 2, 1),
        review_until=dt.date(2024, 3, 15),
    )
    params = {"brand": brand.pk, "period": period.pk, "until": review_deadline(period), "n": rows}
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO consents_consent (brand_id, recipient, recipient_type, channel, status, source,
                consent_date, created_at, updated_at, transaction_id, declaration_period_id, review_until)
            SELECT %(brand)s, {MOBILE}, 'BIREYSEL', 'MESAJ', 'ONAY', 'HS_2015',
                   '2015-05-01 00:00:00+03', '2024-01-20 12:00+03', '2024-01-20 12:00+03', md5(g::text),
                   %(period)s, %(until)s
            FROM generate_series(1, %(n)s) AS g
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO consents_consentevent (consent_id, brand_id, recipient, recipient_type, channel, action,
                previous_status, status, source, consent_date, created_at, transaction_id, actor_kind, actor_ref,
                actor_label, via, late_report, review_until)
            SELECT id, brand_id, recipient, recipient_type, channel, 'CREATE', NULL, status, source, consent_date,
                   created_at, transaction_id, 'PROVIDER', 'bench', 'bench', 'UPLOAD', false, review_until
            FROM consents_consent
            """
        )
    _vacuum()


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE consents_consent")
        cur.execute("VACUUM ANALYZE consents_consentevent")


def _single_update(rows: int) -> float:
    """The floor: one UPDATE of every due row, no history, no chunks. Rolled back, then vacuumed."""
    from django.db import connection, transaction

    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "UPDATE consents_consent SET finalized_at = now(), updated_at = now() "
                "WHERE review_until IS NOT NULL AND finalized_at IS NULL AND review_until < now() "
                "AND status = 'ONAY'"
            )
            assert cur.rowcount == rows, cur.rowcount
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    _vacuum()
    return elapsed


class _Rollback(Exception):
    pass


def _start_worker(env: dict[str, str], concurrency: int) -> subprocess.Popen:
    log = open("/tmp/ileti-bench-finalize-worker.log", "wb")  # noqa: SIM115 - the worker writes to it
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", f"--concurrency={concurrency}",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", f"--hostname=bench-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("worker exited early: see /tmp/ileti-bench-finalize-worker.log")
        if app.control.ping(timeout=0.5):
            return proc
    raise SystemExit("worker did not answer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2, help="finaliser tasks started at once (SKIP LOCKED)")
    args = parser.parse_args()

    env = _env(args.chunk_size)
    os.environ.update(env)
    _recreate_database()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import redis

    from config.celery import app
    from consents.models import Consent, ConsentEvent, EventAction
    from consents.review.tasks import FINALIZE_STATS_KEY, finalize_reviews

    app.conf.task_always_eager = False
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()

    t = time.perf_counter()
    _generate(args.rows)
    print(f"generated {args.rows} declared consents (+history) in {time.perf_counter() - t:.1f}s", flush=True)

    single_s = _single_update(args.rows)
    print(f"single UPDATE of {args.rows} rows (no history): {single_s:.2f}s", flush=True)

    worker = _start_worker(env, concurrency=max(args.chains, 1))
    try:
        started = time.perf_counter()
        for _ in range(args.chains):
            finalize_reviews.delay(chunk_size=args.chunk_size)
        finalized, runs = 0, []
        while finalized < args.rows:
            time.sleep(0.05)
            runs = [json.loads(r) for r in client.lrange(FINALIZE_STATS_KEY, 0, -1)]
            finalized = sum(r["finalized"] for r in runs)
            if time.perf_counter() - started > 900:
                raise SystemExit(f"timed out with {finalized} finalised")
        finalize_s = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)

    chunks = [s for r in runs for s in r["chunk_s"]]
    longest = max(chunks)
    events = ConsentEvent.objects.filter(action=EventAction.FINALIZE).count()
    left = Consent.objects.filter(finalized_at__isnull=True).count()
    assert events == args.rows and left == 0, (events, left)
    # Other processes on the machine (a parallel test run, another bench) stretch every figure: say so.
    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"chunks={len(chunks)} chunk_size={args.chunk_size} chains={args.chains} "
          f"median_chunk_s={sorted(chunks)[len(chunks) // 2]:.3f} rate={args.rows / finalize_s:,.0f}/s")
    print(
        f"RESULT finalized={events} finalize_s={finalize_s:.2f} vs_single_update={finalize_s / single_s:.2f} "
        f"longest_chunk_s={longest:.3f}"
    )


if __name__ == "__main__":
    main()
