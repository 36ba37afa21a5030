"""The embedded default serves a small business: a 50,000-row upload on the demo settings (SQLite,
tasks in a background thread of the server process) leaves the portal answering — another person
signs in and browses meanwhile — and shows its progress page at once."""
from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser_helpers import wait_for_heading
from tests.providers.portal_data import browser_sign_in

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[3]
ROWS = 50_000
PASSWORD = "parola-123456"  # tests.factories.UserFactory's
_SETUP = """
from tests import factories
operator = factories.MembershipFactory(role="OPERATOR", user__username="demo-operator")
factories.MembershipFactory(role="VIEWER", provider=operator.provider, user__username="demo-viewer")
factories.BrandFactory(provider=operator.provider, is_master=True, name="Küçük İşletme")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _chrome() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--window-size=1280,1000", "--lang=tr"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(2)
    return driver


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`runserver` on the demo settings and a fresh SQLite database, as `scripts/demo` runs it."""
    database = tmp_path / "demo.sqlite3"
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(tmp_path / "media"), REDIS_URL="", LOG_LEVEL="WARNING",
    )
    env.pop("CELERY_TASKS_IN_BACKGROUND", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "shell", "-c", _SETUP], env=env, check=True, cwd=ROOT)
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below, after the server
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/isletme/giris/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        yield url, database
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _state(database: Path) -> str | None:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        row = db.execute("SELECT state FROM consents_upload ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def _file(path: Path) -> None:
    moment = (dt.datetime.now(dt.timezone(dt.timedelta(hours=3))) - dt.timedelta(hours=1)).strftime("%d.%m.%Y %H:%M")
    with open(path, "w", encoding="utf-8") as out:
        out.write("Alıcı;Alıcı tipi;Kanal;Durum;İzin tarihi;Kaynak\n")
        out.writelines(
            f"0532 {i // 10000:03d} {i % 10000 // 100:02d} {i % 100:02d};Bireysel;SMS;Onay;{moment};Web sitesi\n"
            for i in range(ROWS)
        )


def test_people_sign_in_and_browse_while_a_50000_row_upload_runs(demo_server, tmp_path: Path):
    url, database = demo_server
    path = tmp_path / "izinler.csv"
    _file(path)
    uploader, other = _chrome(), _chrome()
    try:
        uploader.live_server_url = other.live_server_url = url
        browser_sign_in(uploader, "demo-operator", PASSWORD)
        uploader.get(url + "/isletme/yuklemeler/yeni/")
        uploader.find_element(By.NAME, "file").send_keys(str(path))
        uploader.find_element(By.CSS_SELECTOR, "input[name=mode][value=apply]").click()
        other.get(url + "/isletme/giris/")  # the second person is at the sign-in page, ready

        started = time.monotonic()
        uploader.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
        # The request answers with the progress page; the rows are applied off the request.
        WebDriverWait(uploader, 60).until(ec.presence_of_element_located((By.ID, "upload-progress")))
        assert _state(database) in ("QUEUED", "RUNNING")
        answered_in = time.monotonic() - started

        # Meanwhile another person signs in (this was HTTP 500 "database is locked") and browses.
        browser_sign_in(other, "demo-viewer", PASSWORD)
        during = [_state(database)]
        for page, heading in (("/isletme/", "Panel"), ("/isletme/izinler/", "İzinler"),
                              ("/isletme/yuklemeler/", "Dosya yüklemeleri")):
            other.get(url + page)
            wait_for_heading(other, heading, timeout=30)
            assert "database is locked" not in other.page_source
        during.append(_state(database))
        assert "RUNNING" in during or "QUEUED" in during, during

        # The progress page follows the upload to its end.
        WebDriverWait(uploader, 900, poll_frequency=2).until(
            ec.presence_of_element_located((By.ID, "upload-summary"))
        )
        assert uploader.find_element(By.ID, "count-inserted").text.replace(".", "") == str(ROWS)
        assert uploader.find_element(By.ID, "count-refused").text == "0"
        assert answered_in < 60
    finally:
        uploader.quit()
        other.quit()
