"""The integration API's "may I send?" through the real HTTP stack, next to the same query in raw SQL.

    .venv/bin/python bench/api.py [--consents 300000] [--batch-requests 200] [--single-seconds 5] [--clients 4]

Uses a dedicated database (ileti_bench_api: dropped, created, migrated, consents seeded with COPY) unless
BENCH_DATABASE_URL says otherwise, and Redis db 6 unless BENCH_REDIS_URL does. It starts gunicorn with ONE
worker process (gthread, 4 threads, keep-alive; --worker-class sync for the classic worker) on 127.0.0.1 (production settings, rate limits lifted) and, as an intermediary's API user:
- times POST /api/sps/{iysCode}/brands/{brandCode}/consents/BIREYSEL/status/MESAJ with 1,000 recipients
  (median wall time at the client: an upper bound of the server time), next to the same lookup in one SQL
  query (= ANY of 1,000 addresses) from this process;
- counts single POST .../consents/status requests per second from a few client threads against that one
  worker, next to prepared point lookups per second in SQL.
Last line: RESULT batch1000_ms=<ms> single_per_s=<n> batch_vs_sql=<x>
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench_api")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
IYS_CODE, BRAND_CODE, INTERMEDIARY_CODE = 612345, 712345, 912345
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "DATABASE_URL": DB_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "False",
    "CONN_MAX_AGE": "600",
    "LOG_LEVEL": "WARNING",
    "API_RATE_LIMIT_PER_SECOND": "1000000000",
    "API_RATE_LIMIT_PER_ADDRESS_PER_SECOND": "1000000000",
    "API_TOKEN_RATE_LIMIT_PER_HOUR": "1000000",
}


def _recreate_database() -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    with psycopg.connect(f"{url.scheme}://{url.netloc}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _phone(n: int) -> str:
    return f"+90530{n:07d}"


def _seed(n: int) -> tuple[str, int]:
    """Provider, brand, an authorised intermediary with an API user (its token), n consents by COPY."""
    from django.db import connection

    from consents.api.auth import issue_tokens
    from consents.api.users import api_user_create
    from providers.models import Brand, Intermediary, IntermediaryAuthorization, Provider

    provider = Provider.objects.create(name="Bench Ticaret", iys_code=IYS_CODE)
    brand = Brand.objects.create(provider=provider, name="Bench Marka", brand_code=BRAND_CODE, is_master=True)
    intermediary = Intermediary.objects.create(name="Bench SMS", code=INTERMEDIARY_CODE)
    IntermediaryAuthorization.objects.create(intermediary=intermediary, brand=brand, channel="MESAJ")
    user = api_user_create(username="bench-araci", password="bench-parola-123456", intermediary=intermediary)
    token = issue_tokens(api_user=user, address="127.0.0.1")["access_token"]
    started = time.perf_counter()
    raw = connection.connection  # psycopg 3
    with raw.cursor() as cur:
        with cur.copy(
            "COPY consents_consent (brand_id, recipient, recipient_type, channel, status, source, consent_date,"
            " created_at, updated_at, transaction_id) FROM STDIN"
        ) as copy:
            for i in range(n):
                status = "RET" if i % 10 == 0 else "ONAY"
                copy.write_row((brand.pk, _phone(i), "BIREYSEL", "MESAJ", status, "HS_WEB",
                                "2025-01-02 10:00:00+03", "2025-01-02 12:00:00+03", "2025-01-02 12:00:00+03",
                                f"{i:032x}"))
        cur.execute("ANALYZE consents_consent")
    raw.commit()
    print(f"seeded {n:,} consents by COPY in {time.perf_counter() - started:.1f} s")
    return token, brand.pk


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, worker_class: str, threads: int) -> subprocess.Popen:
    env = dict(os.environ, **SERVER_ENV)
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "--workers", "1", "--worker-class", worker_class,
         "--threads", str(threads), "--keep-alive", "5", "--bind", f"127.0.0.1:{port}", "--backlog", "256",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


_local = threading.local()


def _post(port: int, path: str, body: bytes, token: str) -> tuple[int, bytes]:
    """POST over this thread's keep-alive connection (reconnecting when the server closed it)."""
    for attempt in range(2):
        conn = getattr(_local, "conn", None)
        if conn is None:
            conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", path, body=body,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            if response.will_close:
                conn.close()
                _local.conn = None
            return response.status, data
        except (http.client.HTTPException, OSError):
            conn.close()
            _local.conn = None
            if attempt:
                raise
    raise AssertionError("unreachable")


def _bench_batch(port: int, token: str, n_consents: int, repeats: int) -> tuple[float, list[str]]:
    rng = random.Random(7)
    path = f"/api/sps/{IYS_CODE}/brands/{BRAND_CODE}/consents/BIREYSEL/status/MESAJ"
    timings = []
    recipients: list[str] = []
    for r in range(repeats + 5):
        # Three in four stored (nine in ten of those approved), one in four unknown.
        recipients = [_phone(rng.randrange(n_consents * 4 // 3)) for _ in range(1000)]
        recipients = list(dict.fromkeys(recipients))
        body = json.dumps({"recipients": recipients}).encode()
        started = time.perf_counter()
        status, data = _post(port, path, body, token)
        elapsed = (time.perf_counter() - started) * 1000
        assert status == 200, data[:300]
        if r >= 5:  # warm-up
            timings.append(elapsed)
    return statistics.median(timings), recipients


def _bench_single(port: int, token: str, n_consents: int, seconds: float, clients: int) -> float:
    path = f"/api/sps/{IYS_CODE}/brands/{BRAND_CODE}/consents/status"
    stop = time.monotonic() + seconds
    counts = [0] * clients
    errors: list[str] = []

    def run(k: int) -> None:
        rng = random.Random(k)
        while time.monotonic() < stop:
            body = json.dumps({"recipient": _phone(rng.randrange(n_consents)), "recipientType": "BIREYSEL",
                               "type": "MESAJ"}).encode()
            status, data = _post(port, path, body, token)
            if status != 200:
                errors.append(data[:200].decode(errors="replace"))
                return
            counts[k] += 1

    for k in range(clients):  # warm-up of the worker's caches
        _post(port, path, json.dumps({"recipient": _phone(k), "recipientType": "BIREYSEL", "type": "MESAJ"}).encode(), token)
    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return sum(counts) / (time.monotonic() - started)


def _sql_baseline(brand_id: int, recipients: list[str], n_consents: int, repeats: int, seconds: float) -> tuple[float, float]:
    import psycopg

    with psycopg.connect(DB_URL) as conn:
        batch_sql = ("SELECT recipient, status, review_until, finalized_at FROM consents_consent "
                     "WHERE brand_id = %s AND recipient_type = 'BIREYSEL' AND channel = 'MESAJ' AND recipient = ANY(%s)")
        timings = []
        for r in range(repeats + 5):
            started = time.perf_counter()
            conn.execute(batch_sql, (brand_id, recipients)).fetchall()
            if r >= 5:
                timings.append((time.perf_counter() - started) * 1000)
        point_sql = ("SELECT status, review_until, finalized_at FROM consents_consent "
                     "WHERE brand_id = %s AND recipient = %s AND recipient_type = 'BIREYSEL' AND channel = 'MESAJ'")
        rng = random.Random(3)
        count, stop = 0, time.monotonic() + seconds
        started = time.monotonic()
        with conn.cursor() as cur:
            while time.monotonic() < stop:
                cur.execute(point_sql, (brand_id, _phone(rng.randrange(n_consents))), prepare=True)
                cur.fetchone()
                count += 1
        return statistics.median(timings), count / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consents", type=int, default=300_000)
    parser.add_argument("--batch-requests", type=int, default=200)
    parser.add_argument("--single-seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class of the ONE worker process")
    parser.add_argument("--threads", type=int, default=4, help="threads of that process (gthread)")
    args = parser.parse_args()

    _recreate_database()
    os.environ.update(SERVER_ENV)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()
    token, brand_id = _seed(args.consents)
    from django.db import connection

    connection.close()
    port = _free_port()
    server = _start_server(port, args.worker_class, args.threads)
    try:
        batch_ms, recipients = _bench_batch(port, token, args.consents, args.batch_requests)
        single_per_s = _bench_single(port, token, args.consents, args.single_seconds, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=20)
    sql_batch_ms, sql_point_per_s = _sql_baseline(brand_id, recipients, args.consents, args.batch_requests,
                                                  args.single_seconds)
    print(f"1,000-recipient status over HTTP (gunicorn, 1 worker): median {batch_ms:.2f} ms; "
          f"the same lookup in SQL {sql_batch_ms:.2f} ms (x{batch_ms / sql_batch_ms:.1f}); target <= 25 ms")
    print(f"single status over HTTP: {single_per_s:,.0f}/s with {args.clients} keep-alive clients "
          f"(1 {args.worker_class} worker process, {args.threads} threads); "
          f"prepared SQL point lookups {sql_point_per_s:,.0f}/s (x{single_per_s / sql_point_per_s:.2f}); target >= 1,000/s")
    print(f"RESULT batch1000_ms={batch_ms:.1f} single_per_s={single_per_s:.0f} batch_vs_sql={batch_ms / sql_batch_ms:.1f}")


if __name__ == "__main__":
    main()
