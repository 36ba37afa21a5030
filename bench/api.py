"""The integration API's "may I send?" through the real HTTP stack, next to the same query in raw SQL.

    .venv/bin/python bench/api.py [--consents 300000] [--batch-requests 200] [--single-seconds 5] [--clients 4]
        [--add-requests 20000]

Uses a dedicated database (ileti_bench_api: dropped, created, migrated, consents seeded with COPY) unless
BENCH_DATABASE_URL says otherwise, and Redis db 6 unless BENCH_REDIS_URL does. It starts gunicorn with ONE
worker process on 127.0.0.1 (production settings, rate limits lifted but still counted; gthread with 4
threads and keep-alive; `--worker-class sync --threads 1` for the classic worker) and, as an intermediary's
API user (token check, rate limits, authorisation and activity log all on the path):
- times POST /api/sps/{iysCode}/brands/{brandCode}/consents/BIREYSEL/status/MESAJ with 1,000 recipients
  (median wall time at the client: an upper bound of the server time), next to the same lookup in one SQL
  query (= ANY of 1,000 addresses) from this process;
- counts single POST .../consents/status requests per second from a few client threads (pre-built requests
  on keep-alive sockets, so the client leaves the CPU to the server) against that one worker, next to
  prepared point lookups per second in SQL, and reports the worker's CPU time per request.
- adds single consents (POST .../consents, a first record each, as the provider's API user) from the same
  clients, and reports those per second and the worker's CPU time per add.
The SQL baselines run at the HTTP side's concurrency: the batch query from one connection (one HTTP client),
point lookups from --clients connections. Worker CPU is summed from /proc over exactly the counted requests.
Last line: RESULT batch1000_ms=<ms> batch_vs_sql=<x> single_per_s=<n> single_cpu_ms=<ms> add_per_s=<n>
add_cpu_ms=<ms>
"""

from __future__ import annotations

import argparse
import datetime as dt
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
sys.path.insert(0, str(ROOT / "bench"))

import recipients  # noqa: E402  (bench/recipients.py: the benches' shared recipient numbering)

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


_phone = recipients.mobile


def _seed(n: int) -> tuple[str, str, int]:
    """Provider, brand, an authorised intermediary with an API user (its token), the provider's own API user
    (its token, for adding consents), n consents by COPY."""
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
    writer = api_user_create(username="bench-firma", password="bench-parola-123456", provider=provider)
    write_token = issue_tokens(api_user=writer, address="127.0.0.1")["access_token"]
    started = time.perf_counter()
    raw = connection.connection  # psycopg 3
    with raw.cursor() as cur:
        with cur.copy(
            "COPY consents_consent (brand_id, recipient, recipient_type, channel, status, source, consent_date,"
            " created_at, updated_at, transaction_id) FROM STDIN"
        ) as copy:
            for i in range(n):
                status = "RET" if i % 10 == 0 else "ONAY"
                copy.write_row(
                    (
                        brand.pk,
                        _phone(i),
                        "BIREYSEL",
                        "MESAJ",
                        status,
                        "HS_WEB",
                        "2025-01-02 10:00:00+03",
                        "2025-01-02 12:00:00+03",
                        "2025-01-02 12:00:00+03",
                        f"{i:032x}",
                    )
                )
        cur.execute("ANALYZE consents_consent")
    raw.commit()
    print(f"seeded {n:,} consents by COPY in {time.perf_counter() - started:.1f} s")
    return token, write_token, brand.pk


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, worker_class: str, threads: int) -> subprocess.Popen:
    env = dict(os.environ, **SERVER_ENV)
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--workers",
            "1",
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--keep-alive",
            "5",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "256",
            "--log-level",
            "warning",
            *(
                ["--config", os.environ["BENCH_GUNICORN_CONFIG"]]
                if os.environ.get("BENCH_GUNICORN_CONFIG")
                else []
            ),
        ],
        cwd=ROOT,
        env=env,
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
            conn.request(
                "POST",
                path,
                body=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
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


def _raw_request(path: str, body: bytes, token: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bytes]:
    """One HTTP/1.1 response off a keep-alive socket (Content-Length framed, as Django answers)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    head_end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:head_end])
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    while len(buffer) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    body = bytes(buffer[head_end : head_end + length])
    del buffer[: head_end + length]
    return status, body


def _status_requests(token: str, n_consents: int, count: int) -> list[bytes]:
    path = f"/api/sps/{IYS_CODE}/brands/{BRAND_CODE}/consents/status"
    rng = random.Random(5)
    return [
        _raw_request(
            path,
            json.dumps(
                {"recipient": _phone(rng.randrange(n_consents)), "recipientType": "BIREYSEL", "type": "MESAJ"}
            ).encode(),
            token,
        )
        for _ in range(count)
    ]


def _add_requests(token: str, n_consents: int, count: int) -> list[bytes]:
    """Each request a first record of a recipient the seed did not store (so each one writes)."""
    from django.utils import timezone

    path = f"/api/sps/{IYS_CODE}/brands/{BRAND_CODE}/consents"
    moment = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    return [
        _raw_request(
            path,
            json.dumps({
                "recipient": _phone(n_consents * 2 + i), "recipientType": "BIREYSEL", "type": "MESAJ",
                "status": "ONAY", "source": "HS_WEB", "consentDate": moment,
            }).encode(),
            token,
        )
        for i in range(count)
    ]


def _bench_single(
    port: int, requests: list[bytes], seconds: float, clients: int, keep_alive: bool = True, *, cycle: bool = True
) -> tuple[float, int]:
    """Requests per second from `clients` threads, each on one keep-alive connection with pre-built requests
    (so the client spends as little CPU as possible: the two cores are the server's). Returns (per second,
    requests answered). Without `cycle` each request is sent once (writes: every one must be new)."""
    total = len(requests)
    share = total // clients
    counts = [0] * clients
    errors: list[str] = []
    start_line = threading.Barrier(clients + 1, timeout=30)
    stop = [0.0]

    def run(k: int) -> None:
        sock = None
        try:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(10)
            buffer = bytearray()
            i = k * share
            end = i + share
            if keep_alive:
                for _ in range(20):  # warm-up: caches of the worker, this connection
                    sock.sendall(requests[i % total])
                    _read_response(sock, buffer)
                    i += 1
            start_line.wait()
            while time.monotonic() < stop[0] and (cycle or i < end):
                if not keep_alive:  # gunicorn's sync worker closes every connection after one response
                    sock.close()
                    sock = socket.create_connection(("127.0.0.1", port))
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    buffer.clear()
                sock.sendall(requests[i % total])
                status, body = _read_response(sock, buffer)
                if status != 200:
                    errors.append(body[:200].decode(errors="replace"))
                    return
                counts[k] += 1
                i += 1
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(repr(exc))
            start_line.abort()
        finally:
            if sock is not None:
                sock.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    stop[0] = time.monotonic() + 3600
    try:
        start_line.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a client failed: {errors}") from None
    started = time.monotonic()
    stop[0] = started + seconds
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return sum(counts) / (time.monotonic() - started), sum(counts)


def _cpu_seconds(master_pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's worker processes (children of the master)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _sql_baseline(
    brand_id: int, recipients: list[str], n_consents: int, repeats: int, seconds: float, clients: int
) -> tuple[float, float]:
    """The same lookups in SQL: the 1,000-address query from one connection (as the HTTP batch, one client),
    and prepared point lookups from `clients` threads on a connection each, the HTTP clients' concurrency."""
    import psycopg

    with psycopg.connect(DB_URL) as conn:
        batch_sql = (
            "SELECT recipient, status, review_until, finalized_at FROM consents_consent "
            "WHERE brand_id = %s AND recipient_type = 'BIREYSEL' AND channel = 'MESAJ' AND recipient = ANY(%s)"
        )
        timings = []
        for r in range(repeats + 5):
            started = time.perf_counter()
            conn.execute(batch_sql, (brand_id, recipients)).fetchall()
            if r >= 5:
                timings.append((time.perf_counter() - started) * 1000)
    point_sql = (
        "SELECT status, review_until, finalized_at FROM consents_consent "
        "WHERE brand_id = %s AND recipient = %s AND recipient_type = 'BIREYSEL' AND channel = 'MESAJ'"
    )
    counts = [0] * clients
    start_line = threading.Barrier(clients + 1, timeout=30)
    stop = [time.monotonic() + 3600]

    def run(k: int) -> None:
        rng = random.Random(3 + k)
        with psycopg.connect(DB_URL) as conn, conn.cursor() as cur:
            for _ in range(20):  # warm-up, and the statement prepared
                cur.execute(point_sql, (brand_id, _phone(rng.randrange(n_consents))), prepare=True)
                cur.fetchone()
            start_line.wait()
            while time.monotonic() < stop[0]:
                cur.execute(point_sql, (brand_id, _phone(rng.randrange(n_consents))), prepare=True)
                cur.fetchone()
                counts[k] += 1

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    start_line.wait()
    started = time.monotonic()
    stop[0] = started + seconds
    for t in threads:
        t.join()
    return statistics.median(timings), sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consents", type=int, default=300_000)
    parser.add_argument("--batch-requests", type=int, default=200)
    parser.add_argument("--single-seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--add-requests", type=int, default=20_000, help="most consents the add run may write")
    parser.add_argument(
        "--worker-class", default="gthread", help="gunicorn worker class of the ONE worker process"
    )
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
    token, write_token, brand_id = _seed(args.consents)
    from django.db import connection

    connection.close()
    port = _free_port()
    server = _start_server(port, args.worker_class, args.threads)
    keep_alive = args.worker_class != "sync"
    try:
        batch_ms, recipients_asked = _bench_batch(port, token, args.consents, args.batch_requests)
        # CPU of the worker process over exactly the requests counted (the client's CPU is not in it).
        worker_cpu = _cpu_seconds(server.pid)
        single_per_s, single_n = _bench_single(
            port, _status_requests(token, args.consents, 2000), args.single_seconds, args.clients, keep_alive
        )
        single_cpu_ms = (_cpu_seconds(server.pid) - worker_cpu) * 1000 / single_n
        worker_cpu = _cpu_seconds(server.pid)
        add_per_s, add_n = _bench_single(
            port, _add_requests(write_token, args.consents, args.add_requests), args.single_seconds,
            args.clients, keep_alive, cycle=False,
        )
        add_cpu_ms = (_cpu_seconds(server.pid) - worker_cpu) * 1000 / add_n
    finally:
        server.terminate()
        server.wait(timeout=20)
    sql_batch_ms, sql_point_per_s = _sql_baseline(
        brand_id, recipients_asked, args.consents, args.batch_requests, args.single_seconds, args.clients
    )
    print(
        f"1,000-recipient status over HTTP (gunicorn, 1 worker): median {batch_ms:.2f} ms; "
        f"the same lookup in SQL {sql_batch_ms:.2f} ms (x{batch_ms / sql_batch_ms:.2f}); target <= 1.5x"
    )
    print(
        f"single status over HTTP: {single_per_s:,.0f}/s with {args.clients} keep-alive clients "
        f"(1 {args.worker_class} worker process, {args.threads} threads); "
        f"prepared SQL point lookups from {args.clients} connections {sql_point_per_s:,.0f}/s "
        f"(x{single_per_s / sql_point_per_s:.2f}); worker CPU {single_cpu_ms:.3f} ms per request (target <= 0.5)"
    )
    print(
        f"single consent add over HTTP: {add_per_s:,.0f}/s ({add_n:,} first records), "
        f"worker CPU {add_cpu_ms:.3f} ms per request"
    )
    print(
        f"RESULT batch1000_ms={batch_ms:.1f} batch_vs_sql={batch_ms / sql_batch_ms:.2f} "
        f"single_per_s={single_per_s:.0f} single_cpu_ms={single_cpu_ms:.3f} "
        f"add_per_s={add_per_s:.0f} add_cpu_ms={add_cpu_ms:.3f}"
    )


if __name__ == "__main__":
    main()
