"""Push of citizens' own movements to a provider's endpoint, delivered by a real Celery worker:
basic auth, an HMAC-SHA256 signature of the body, and retries with backoff after a failure."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time

import pytest

from consents.actors import Actor
from consents.api.push import signature
from consents.models import DeliveryState, PushDelivery, PushRegistration, Via
from consents.services import consent_reject_by_citizen
from tests.consents.api.support import client_for, consent_body, make_api_user

USER, SECRET = "hook", "s3cret-key"
BASIC = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()


class _Receiver(http.server.BaseHTTPRequestHandler):
    """A provider's receiver: insists on its basic auth, like İYS requires."""

    calls: list[dict] = []
    anonymous: list[dict] = []
    fail_first = 1  # movements (not İYS's test message) answered 503 this many times first

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        call = {"body": body, "headers": dict(self.headers), "path": self.path}
        if self.headers.get("Authorization") != BASIC:
            type(self).anonymous.append(call)
            self.send_response(401)
            self.end_headers()
            return
        type(self).calls.append(call)
        movements = [c for c in type(self).calls if c["headers"].get("X-Ileti-Delivery") != "test"]
        status = 503 if call in movements and len(movements) <= type(self).fail_first else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver():
    _Receiver.calls, _Receiver.anonymous = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def local_receivers_allowed(settings, monkeypatch):
    """The test-only allow-list for 127.0.0.1, here and in a worker started after this fixture."""
    settings.API_PUSH_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    monkeypatch.setenv("TEST_API_PUSH_ALLOWED_PRIVATE_NETWORKS", "127.0.0.1/32")


@pytest.fixture
def fast_retries(monkeypatch):
    # Read by the worker process's settings (it inherits this environment).
    monkeypatch.setenv("API_PUSH_RETRY_BASE_SECONDS", "1")


def test_rejection_is_pushed_signed_and_retried_until_delivered(
    fast_retries, local_receivers_allowed, receiver, celery_worker, provider, brand
):
    api = client_for(make_api_user(provider=provider))
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    url = f"http://127.0.0.1:{receiver.server_address[1]}/push"
    r = api.post(
        base + "/push/registration",
        {"connection": [{"url": url, "type": "MESAJ", "username": USER, "password": SECRET}]},
    )
    assert r.status_code == 200, r.content
    # Verified as İYS does: refused without its basic auth, then İYS's test message with it.
    assert len(_Receiver.anonymous) == 1 and len(_Receiver.calls) == 1
    assert json.loads(_Receiver.calls[0]["body"])["list"][0]["recipient"] == "pushtest@iys.org.tr"
    assert api.get(base + "/push/registration").json()[0]["status"] == "Bağlantı Oluşturuldu"
    assert api.post(base + "/consents", consent_body("+905300000001")).status_code == 200
    # The citizen's RET is two movements, BIREYSEL and TACIR (rule 9, issue 10): each is pushed.
    events = [
        r.event
        for r in consent_reject_by_citizen(
            brand=brand,
            recipient="+905300000001",
            channel="MESAJ",
            source="IYS_KISAMESAJ",
            actor=Actor.citizen(None, "vatandaş"),
            via=Via.SMS,
        )
    ]
    deadline = time.monotonic() + 30
    deliveries = []
    while time.monotonic() < deadline:
        deliveries = list(PushDelivery.objects.filter(event__in=events))
        if len(deliveries) == 2 and all(d.state == DeliveryState.DELIVERED for d in deliveries):
            break
        time.sleep(0.2)
    assert len(deliveries) == 2 and all(d.state == DeliveryState.DELIVERED for d in deliveries), [
        d.__dict__ for d in deliveries
    ]
    # After İYS's test message: one 503 (to whichever came first), then success: three calls in all.
    movements = [c for c in _Receiver.calls if c["headers"].get("X-Ileti-Delivery") != "test"]
    assert sum(d.attempts for d in deliveries) == 3 and len(movements) == 3
    assert all(d.last_error == "" and d.last_status_code == 200 for d in deliveries)
    pushed_by_tx = {}
    for call in movements[1:]:
        assert call["headers"]["Authorization"] == BASIC
        expected = signature(SECRET, call["headers"]["X-Ileti-Timestamp"], call["body"])
        assert call["headers"]["X-Ileti-Signature"] == expected
        pushed = json.loads(call["body"])["list"][0]
        pushed_by_tx[pushed["transactionId"]] = pushed
    assert set(pushed_by_tx) == {e.transaction_id for e in events}
    for event in events:
        pushed = pushed_by_tx[event.transaction_id]
        assert (
            pushed["status"] == "RET"
            and pushed["source"] == "IYS_KISAMESAJ"
            and pushed["recipient"] == "+905300000001"
            and pushed["recipientType"] == event.recipient_type
        )
        assert pushed["brandCode"] == brand.brand_code
    # The provider's own movements are not pushed; nothing more arrives.
    assert PushDelivery.objects.count() == 2
    # Unregistering needs the same credentials.
    body = {"url": url, "type": "MESAJ", "username": USER, "password": "wrong"}
    assert api.post(base + "/push/unregistration", body).json()["errors"][0]["code"] == "H530"
    assert api.post(base + "/push/unregistration", dict(body, password=SECRET)).status_code == 200
    assert PushRegistration.objects.get().state == "REMOVED"


@pytest.mark.django_db
def test_registration_requires_https_and_at_most_two_per_type(local_receivers_allowed, receiver, provider, brand):
    api = client_for(make_api_user(provider=provider))
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    conn = {"url": "http://push.example.com/x", "type": "EPOSTA", "username": USER, "password": SECRET}
    assert api.post(base + "/push/registration", {"connection": [conn]}).json()["errors"][0]["code"] == "H531"
    local = f"http://127.0.0.1:{receiver.server_address[1]}"
    for n in range(2):
        r = api.post(base + "/push/registration", {"connection": [dict(conn, url=f"{local}/e{n}")]})
        assert r.status_code == 200, r.content
    r = api.post(base + "/push/registration", {"connection": [dict(conn, url=f"{local}/e9")]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "H532"
    r = api.post(
        base + "/push/registration", {"connection": [{"url": "https://a.example.com", "type": "EPOSTA"}]}
    )
    assert r.status_code == 422 and {e["code"] for e in r.json()["errors"]} == {"H093"}
