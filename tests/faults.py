"""Throwaway services for fault-injection tests: a PostgreSQL cluster, a Redis and a web server of our own.

The fault tests restart or stop a database or a Redis; they must never touch the suite's own services on
5432/6379 (other tests, other helpers' databases). So each test starts its own on a free port, copies the test
database into it (pg_dump of what the test committed: schema and rows) and runs a real WSGI server (gunicorn,
production settings) against it in a subprocess. Binaries come from Debian's packages (PostgreSQL 15 under
/usr/lib/postgresql/15/bin, redis-server); as root, PostgreSQL runs as the `postgres` user.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("FAULT_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory on a free port (fsync off: it lives for one test)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ileti-fault-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
            check=True, capture_output=True,
        )

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), *args]),
            check=True, capture_output=True, timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._ctl("-o", options, "-w", "start")

    def restart(self) -> None:
        """What an operator's restart (or a failover) does: every connection is cut, the server comes back."""
        self._ctl("-m", "fast", "-w", "restart")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def url(self, name: str = "ileti_fault") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def copy_test_database(self, name: str = "ileti_fault") -> None:
        """The test database as the test left it (schema and committed rows) into a database of this cluster."""
        db = connection.settings_dict
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name], check=True)
        dump = subprocess.run(
            ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"] or "postgres",
             "--no-owner", "--no-privileges", "-Fc", db["NAME"]],
            check=True, capture_output=True,
        ).stdout
        subprocess.run(
            ["pg_restore", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "--no-owner", "-d", name],
            input=dump, check=True, capture_output=True,
        )

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self._ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    cluster = ThrowawayPostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


class ThrowawayRedis:
    """`redis-server` on a free port, no persistence; stop() and start() again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("throwaway redis did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@contextlib.contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    try:
        server.start()
        yield server
    finally:
        server.stop()


class WebServer:
    """gunicorn with the production settings, one sync worker (one persistent database connection, as in
    production with CONN_MAX_AGE), against the given database and Redis."""

    def __init__(self, *, database_url: str, redis_url: str, media_root: str, extra_env: dict | None = None) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="ileti-fault-web-", suffix=".log")[1])
        self.env = os.environ.copy()
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings.prod",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SECRET_KEY="fault-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            MEDIA_ROOT=media_root,
            CONN_MAX_AGE="600",
            SMS_INBOUND_SECRET="test-inbound-secret",
        )
        self.env.update(extra_env or {})
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "1",
                 "--timeout", "60", "--graceful-timeout", "2"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 20) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@contextlib.contextmanager
def web_server(**kwargs: object) -> Iterator[WebServer]:
    server = WebServer(**kwargs)
    try:
        server.start()
        yield server
    finally:
        server.stop()
