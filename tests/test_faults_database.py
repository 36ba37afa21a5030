"""A PostgreSQL restart under "may I send?" load: the API answers again as soon as the server is back.

The test starts its own cluster (tests/faults.py) and a gunicorn with the production settings and a persistent
connection against it, so the suite's own database on 5432 is never restarted.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from django.conf import settings

from tests import factories
from tests.consents.api.support import client_for, consent_body, make_api_user
from tests.faults import throwaway_postgres, web_server

pytestmark = pytest.mark.faults


def _seed(transactional_db) -> tuple[str, str, dict]:
    provider = factories.ProviderFactory()
    brand = factories.BrandFactory(provider=provider, is_master=True)
    api = client_for(make_api_user(provider=provider), address="127.0.0.1")
    base = f"/api/sps/{provider.iys_code}/brands/{brand.brand_code}"
    assert api.post(base[4:] + "/consents", consent_body("+905300000001")).status_code == 200
    query = {"recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ"}
    return api.token, base, query


def test_status_calls_answer_200_again_as_soon_as_a_database_restart_finishes(transactional_db, tmp_path):
    token, base, query = _seed(transactional_db)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps(query).encode()
    with throwaway_postgres() as pg:
        pg.copy_test_database()
        with web_server(
            database_url=pg.url(), redis_url=settings.REDIS_URL, media_root=str(tmp_path),
            extra_env={"API_RATE_LIMIT_PER_SECOND": "100000", "API_RATE_LIMIT_PER_ADDRESS_PER_SECOND": "100000"},
        ) as web:
            status, _, answer = web.request("POST", base + "/consents/status", body, headers)
            assert status == 200 and json.loads(answer)["status"] == "ONAY"

            results: list[tuple[float, int, dict]] = []
            stop = threading.Event()

            def load() -> None:
                while not stop.is_set():
                    code, head, _ = web.request("POST", base + "/consents/status", body, headers)
                    results.append((time.monotonic(), code, head))

            worker = threading.Thread(target=load)
            worker.start()
            try:
                time.sleep(1.0)
                restart_began = time.monotonic()
                pg.restart()
                restart_done = time.monotonic()
                time.sleep(3.0)
            finally:
                stop.set()
                worker.join(timeout=30)

    before = [code for at, code, _ in results if at < restart_began]
    during = [(code, head) for at, code, head in results if restart_began <= at < restart_done]
    after = [code for at, code, _ in results if at >= restart_done]
    assert before and set(before) == {200}
    # A request in flight when the server went away is told to come back (503 with Retry-After), never 500.
    assert all(code in (200, 503) for code, _ in during), [code for code, _ in during]
    assert all(head.get("Retry-After") for code, head in during if code == 503)
    # Once the server is back, the first request already gets an answer: the dead connection is replaced.
    assert len(after) >= 5 and set(after) == {200}, after[:20]


def test_with_the_database_down_every_kind_of_caller_gets_an_honest_503(transactional_db, tmp_path):
    token, base, query = _seed(transactional_db)
    with throwaway_postgres() as pg:
        pg.copy_test_database()
        # The test settings (static files without a manifest) serve the page; the database is the throwaway one.
        with web_server(
            database_url=pg.url(), redis_url=settings.REDIS_URL, media_root=str(tmp_path),
            extra_env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "TEST_DATABASE_URL": pg.url(),
                       "TEST_REDIS_URL": settings.REDIS_URL},
        ) as web:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            assert web.request("POST", base + "/consents/status", json.dumps(query).encode(), headers)[0] == 200
            pg.stop()
            api = web.request("POST", base + "/consents/status", json.dumps(query).encode(), headers)
            sms = web.request(
                "POST", "/sms/inbound/", json.dumps({"from": "+905321234567", "text": "RET 123456"}).encode(),
                {"X-Ileti-Secret": "test-inbound-secret", "Content-Type": "application/json"},
            )
            page = web.request("GET", "/ret/123456/", headers={"Cookie": "django_language=en"})
            pg.start()
            again = web.request("POST", base + "/consents/status", json.dumps(query).encode(), headers)

    status, head, body = api
    assert status == 503 and head["Retry-After"] == "5"
    assert json.loads(body)["errors"][0]["code"] == "ILT503"
    status, head, body = sms
    assert status == 503 and head["Content-Type"].startswith("application/json") and head["Retry-After"]
    assert json.loads(body)["error"] == "unavailable"
    status, head, body = page
    assert status == 503 and head["Retry-After"] == "5"
    assert "Service temporarily unavailable" in body.decode() and "kullanılamıyor" not in body.decode()
    assert again[0] == 200
