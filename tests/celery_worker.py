"""A real Celery worker process for tests, against the test database and the test Redis."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from config.celery import QUEUES
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    """Start, kill (SIGKILL, like a crash) and restart `celery worker` as a child process."""

    def __init__(
        self, *, concurrency: int = 2, beat: bool = False, log_path: Path | None = None,
        queues: tuple[str, ...] = QUEUES, name: str = "test",
    ) -> None:
        self.concurrency = concurrency
        self.beat = beat
        # Every workload queue unless a test asks for some only (two workers on separate queues).
        self.queues = queues
        self.name = name
        self.log_path = log_path or Path(f"/tmp/ileti-test-worker-{os.getpid()}-{name}.log")
        self.process: subprocess.Popen | None = None
        self.hostname = ""

    def _env(self) -> dict[str, str]:
        db = connection.settings_dict
        url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        env = os.environ.copy()
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            TEST_DATABASE_URL=url,
            TEST_REDIS_URL=settings.REDIS_URL,
            CELERY_TASK_ALWAYS_EAGER="false",
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
        )
        return env

    def start(self) -> None:
        self.hostname = f"{self.name}-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
        args = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--loglevel=INFO", f"--concurrency={self.concurrency}", "--pool=prefork",
            f"--hostname={self.hostname}", "--without-gossip", "--without-mingle",
            "--queues", ",".join(self.queues),
        ]
        if self.beat:
            args += ["--beat", "--schedule", f"/tmp/ileti-test-beat-{os.getpid()}"]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, cwd=ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {self.log_path}")
            # This worker's own answer: another test worker may already be up.
            replies = celery_app.control.ping(destination=[self.hostname], timeout=0.5)
            if replies:
                return
        raise RuntimeError(f"celery worker did not answer within {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole process group of the worker: a crash, no graceful shutdown."""
        if self.process and self.process.poll() is None:
            for child in _children(self.process.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.stop()
        self.start()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def flush_test_redis() -> None:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
