from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.celery import app as celery_app
from consents.actors import Actor
from tests.celery_worker import WorkerProcess, flush_test_redis

from . import factories


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _clear_sms_outbox() -> Iterator[None]:
    from citizens.sms.backends import locmem

    locmem.outbox.clear()
    yield


@pytest.fixture
def provider(db):
    return factories.ProviderFactory()


@pytest.fixture
def brand(provider):
    return factories.BrandFactory(provider=provider, is_master=True)


@pytest.fixture
def owner(provider):
    return factories.MembershipFactory(provider=provider).user


@pytest.fixture
def provider_actor(owner) -> Actor:
    return Actor.provider_user(owner)


@pytest.fixture
def celery_workers(transactional_db) -> Iterator:
    """Start real `celery worker` processes: `celery_workers(queues=("uploads",), concurrency=1, name="up")`.

    Each consumes every workload queue unless given `queues`; all are stopped at the end of the test."""
    flush_test_redis()
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    # Celery looks up the namespaced key (CELERY_*, from Django settings) before the plain one: set both,
    # or .delay() keeps running in-process.
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    started: list[WorkerProcess] = []

    def start(**options) -> WorkerProcess:
        worker = WorkerProcess(**options)
        started.append(worker)
        worker.start()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        celery_app.conf.task_always_eager = previous
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = previous


@pytest.fixture
def celery_worker(celery_workers) -> WorkerProcess:
    """A real `celery worker` process on the test Redis and the test database (committed data only),
    consuming every queue (config/celery.py: QUEUES)."""
    return celery_workers()


@pytest.fixture
def browser(live_server) -> Iterator:
    """Debian's headless Chromium driven through its chromedriver (no downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1000", "--lang=tr",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": "/tmp/ileti-browser-downloads"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(2)
    driver.live_server_url = live_server.url
    try:
        yield driver
    finally:
        driver.quit()
