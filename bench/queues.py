"""API batches drained by real Celery workers on their own queue: items per second with one and two workers.

    .venv/bin/python bench/queues.py [--batches 1000] [--items 1000]

Uses a dedicated database (ileti_bench_queues, dropped and migrated) and Redis DB 12 unless
BENCH_DATABASE_URL / BENCH_REDIS_URL say otherwise. The batches are created as the API creates them
(consents.api.batch.create_batch: the request's static checks), then queued at once on `api_batches`
(consents.api.process_batch, 250 items per task, re-queued until the batch is done) and drained by one worker
process, then (new recipients, the same number of batches) by two worker processes consuming only that queue.
Every item is a new consent (one consent and one history row, through consents.services.consent_record).
The baseline of the ratio is the one-worker run of the same process; on a 2-core machine shared with other
work the second worker can only gain what the database leaves free, so read the ratio with the load average.
Last line: RESULT batch_items_per_s_1w=<n> batch_items_per_s_2w=<n> two_vs_one=<x> batches=<b> items=<i>
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench_queues")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
LOG = Path("/tmp/ileti-bench-queues-worker-{}.log")


def _env() -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=DB_URL,
        REDIS_URL=REDIS_URL,
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    return env


def _recreate_database() -> None:
    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    import psycopg

    with psycopg.connect(f"{url.scheme}://{url.netloc}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _start_worker(env: dict[str, str], index: int) -> subprocess.Popen:
    from config.celery import app

    hostname = f"bench-queues-{os.getpid()}-{index}@{os.uname().nodename}"
    log = open(str(LOG).format(index), "wb")  # noqa: SIM115 - the worker writes to it
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "api_batches", "--concurrency=1",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", f"--hostname={hostname}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"worker exited early: see {str(LOG).format(index)}")
        if app.control.ping(destination=[hostname], timeout=0.5):
            return proc
    raise SystemExit("worker did not answer")


def _make_batches(*, api_user, brand, batches: int, items: int, prefix: str) -> list[int]:
    from django.utils import timezone

    from consents.api.batch import create_batch

    consent_date = (timezone.localtime() - timezone.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    ids = []
    for b in range(batches):
        payloads = [
            {"recipient": f"+90{prefix}{b * items + i:07d}", "type": "MESAJ", "source": "HS_WEB",
             "status": "ONAY", "consentDate": consent_date, "recipientType": "BIREYSEL"}
            for i in range(items)
        ]
        batch, _ = create_batch(api_user_id=api_user.pk, brand=brand, payloads=payloads, version=1, is_dealer=False)
        ids.append(batch.pk)
    return ids


def _drain(env: dict[str, str], ids: list[int], workers: int, items_total: int) -> float:
    from consents.api.tasks import process_api_batch
    from consents.models import ApiBatchItem, ApiBatchRequest, BatchItemStatus, BatchState

    procs = [_start_worker(env, i) for i in range(workers)]
    try:
        started = time.perf_counter()
        for batch_id in ids:
            process_api_batch.delay(batch_id)
        while ApiBatchRequest.objects.filter(pk__in=ids).exclude(state=BatchState.DONE).exists():
            time.sleep(0.25)
            if time.perf_counter() - started > 3600:
                raise SystemExit("timed out")
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
    ok = ApiBatchItem.objects.filter(batch_id__in=ids, status=BatchItemStatus.SUCCESS).count()
    assert ok == items_total, (ok, items_total)
    return items_total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()

    env = _env()
    os.environ.update(env)
    _recreate_database()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    import redis

    from config.celery import app
    from consents.models import ApiUser, ApiUserKind
    from providers.models import Brand, Provider

    app.conf.task_always_eager = False
    redis.Redis.from_url(REDIS_URL).flushdb()
    provider = Provider.objects.create(name="Bench A.Ş.", iys_code=990002)
    brand = Brand.objects.create(provider=provider, name="Bench", brand_code=990002, is_master=True)
    api_user = ApiUser(kind=ApiUserKind.PROVIDER, provider=provider, username="bench-queues")
    api_user.set_password("bench-queues-123456")
    api_user.save()

    total = args.batches * args.items
    results = {}
    for workers, prefix in ((1, "532"), (2, "533")):
        t = time.perf_counter()
        ids = _make_batches(api_user=api_user, brand=brand, batches=args.batches, items=args.items, prefix=prefix)
        print(f"created {args.batches} batches of {args.items} items in {time.perf_counter() - t:.1f}s", flush=True)
        results[workers] = _drain(env, ids, workers, total)
        print(f"{workers} worker(s): {total} items in {total / results[workers]:.1f}s = "
              f"{results[workers]:.0f} items/s (load average {os.getloadavg()[0]:.1f})", flush=True)

    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"RESULT batch_items_per_s_1w={results[1]:.0f} batch_items_per_s_2w={results[2]:.0f} "
        f"two_vs_one={results[2] / results[1]:.2f} batches={args.batches} items={args.items}"
    )


if __name__ == "__main__":
    main()
