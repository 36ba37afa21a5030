"""Push receivers: only public https addresses, verified as İYS does before they are accepted, called at the
address that was checked (no DNS rebinding), no redirects, and failures that say nothing about ports."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from consents.actors import Actor
from consents.api import egress
from consents.api.push import signature
from consents.api.tasks import push_deliver
from consents.models import DeliveryState, PushDelivery, PushRegistration, Via
from consents.services import consent_reject_by_citizen
from tests.consents.api.support import client_for, consent_body, make_api_user
from tests.consents.api.test_push import BASIC, SECRET, USER

pytestmark = pytest.mark.django_db


class Behaviour:
    require_auth = True
    status = 200
    delay = 0.0
    redirect_to: str | None = None


class _Receiver(http.server.BaseHTTPRequestHandler):
    behaviour = Behaviour()
    calls: list[dict] = []  # noqa: RUF012 - shared with the test thread on purpose

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
        b = type(self).behaviour
        if b.delay:
            time.sleep(b.delay)
        if b.require_auth and self.headers.get("Authorization") != BASIC:
            self.send_response(401)
        elif b.redirect_to:
            self.send_response(302)
            self.send_header("Location", b.redirect_to)
        else:
            self.send_response(b.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[http.server.ThreadingHTTPServer]:
    _Receiver.behaviour, _Receiver.calls = Behaviour(), []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def setup(provider, brand):
    api = client_for(make_api_user(provider=provider))
    return api, f"/sps/{provider.iys_code}/brands/{brand.brand_code}"


def register(api, base, url: str):
    conn = {"url": url, "type": "MESAJ", "username": USER, "password": SECRET}
    return api.post(base + "/push/registration", {"connection": [conn]})


def local(receiver, path: str = "/push", host: str = "127.0.0.1") -> str:
    return f"http://{host}:{receiver.server_address[1]}{path}"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:6379/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.8/push",
        "https://192.168.1.1/push",
        "https://100.64.0.1/push",  # shared address space (carrier NAT)
        "https://[::1]/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://[fd00:ec2::254]/",  # a cloud metadata address on IPv6
        "https://224.0.0.1/push",
        "https://0.0.0.0/push",
        "https://240.0.0.1/push",  # reserved
        "https://localhost:6379/",
    ],
)
def test_internal_addresses_are_refused_without_a_connection(setup, url, receiver, settings):
    settings.API_PUSH_ALLOWED_PRIVATE_NETWORKS = []
    api, base = setup
    r = register(api, base, url)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"code": "H530", "message": "Bağlantı oluşturulamadı.", "location": ["url"], "value": url}
    ]
    assert not PushRegistration.objects.exists()


def test_only_https_and_a_real_host(setup, receiver, settings):
    settings.API_PUSH_ALLOWED_PRIVATE_NETWORKS = []
    api, base = setup
    for url in (local(receiver), "ftp://example.org/x", "http://example.org/x"):
        assert register(api, base, url).json()["errors"][0]["code"] == "H531", url
    for url in ("https://user:pw@example.org/x", "https://no-such-host.invalid/x", "https:///x"):
        assert register(api, base, url).json()["errors"][0]["code"] == "H530", url
    assert _Receiver.calls == []


def test_a_receiver_is_verified_with_iys_test_message_before_it_is_accepted(setup, receiver, settings):
    settings.API_PUSH_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    api, base = setup
    r = register(api, base, local(receiver))
    assert r.status_code == 200 and r.json() == {"message": "Bağlantı oluşturuldu"}
    anonymous, authorised = _Receiver.calls
    assert "Authorization" not in anonymous["headers"]  # the receiver must insist on its basic auth...
    assert authorised["headers"]["Authorization"] == BASIC  # ...and accept İYS's test message with it
    test_message = json.loads(authorised["body"])["list"][0]
    assert test_message["recipient"] == "pushtest@iys.org.tr" and test_message["brandCode"] == 121212
    headers = authorised["headers"]
    assert headers["X-Ileti-Signature"] == signature(SECRET, headers["X-Ileti-Timestamp"], authorised["body"])
    assert PushRegistration.objects.get().url == local(receiver)


@pytest.mark.parametrize(
    "behaviour, code",
    [
        ({"require_auth": False}, "H530"),  # takes anyone's messages: no basic auth control
        ({"status": 500}, "H530"),
        ({"status": 404}, "H530"),
        ({"redirect_to": "http://127.0.0.1:9/elsewhere"}, "H530"),  # a redirect is not followed
        ({"delay": 1.0}, "H191"),  # no answer within the time limit
    ],
)
def test_a_receiver_that_fails_verification_is_refused(setup, receiver, settings, monkeypatch, behaviour, code):
    settings.API_PUSH_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    monkeypatch.setattr(egress, "TIMEOUT_SECONDS", 0.5)  # İYS waits 5 s; the test need not
    for key, value in behaviour.items():
        setattr(_Receiver.behaviour, key, value)
    api, base = setup
    r = register(api, base, local(receiver))
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["code"] == code and error["location"] == ["url"]
    if code == "H191":
        assert error["message"] == "Bağlantı zaman aşımına uğradı."
    assert not PushRegistration.objects.exists()
    assert all(call["path"] == "/push" for call in _Receiver.calls)  # nothing went to the redirect target


def _citizen_rejects(brand, api, base, recipient: str = "+905300000001"):
    """The citizen's RET: its movements (BIREYSEL and TACIR) each go to the receiver."""
    assert api.post(base + "/consents", consent_body(recipient)).status_code == 200
    results = consent_reject_by_citizen(
        brand=brand, recipient=recipient, channel="MESAJ", source="IYS_KISAMESAJ",
        actor=Actor.citizen(None, "vatandaş"), via=Via.SMS,
    )
    return [r.event for r in results]


def _registration(brand, url: str) -> PushRegistration:
    return PushRegistration.objects.create(
        brand=brand, channel="MESAJ", url=url, username=USER, password=SECRET
    )


def test_each_delivery_checks_the_address_again_and_connects_to_the_checked_one(
    setup, receiver, settings, brand, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the name resolves to an allowed address at the check and to an internal one later."""
    settings.API_PUSH_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    api, base = setup
    port = receiver.server_address[1]
    answers: list[str] = []
    real = socket.getaddrinfo

    def dns(host, *args, **kwargs):  # the outside world's DNS, scripted
        if host == "receiver.example.test":
            address = answers.pop(0) if answers else "10.66.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    _registration(brand, f"http://receiver.example.test:{port}/push")
    answers.extend(["127.0.0.1"] * 5)  # one good answer per delivery of this first rejection
    with django_capture_on_commit_callbacks(execute=True):
        events = _citizen_rejects(brand, api, base)
    deliveries = PushDelivery.objects.filter(event__in=events)
    # Each lookup said 127.0.0.1 and the request went there (the next lookup would have said 10.66.0.1),
    # with the registered name as its Host.
    assert deliveries and all(d.state == DeliveryState.DELIVERED for d in deliveries), deliveries
    assert _Receiver.calls[-1]["headers"]["Host"] == f"receiver.example.test:{port}"
    assert len(_Receiver.calls) == len(deliveries)
    # Now the name points inside the network: the next deliveries are not made at all.
    answers.clear()
    calls = len(_Receiver.calls)
    with django_capture_on_commit_callbacks(execute=True):
        events = _citizen_rejects(brand, api, base, "+905300000002")
    deliveries = PushDelivery.objects.filter(event__in=events)
    assert deliveries and all(
        d.state == DeliveryState.PENDING and d.last_error == "refused target" for d in deliveries
    )
    assert len(_Receiver.calls) == calls


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def not_http() -> Iterator[int]:
    """An open port that speaks no HTTP: it accepts and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.sendall(b"-ERR not http\r\n")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def test_last_error_does_not_tell_open_ports_from_closed_ones(setup, settings, brand, not_http, monkeypatch):
    settings.API_PUSH_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    monkeypatch.setattr(egress, "TIMEOUT_SECONDS", 0.5)
    api, base = setup
    errors = {}
    for n, (name, port) in enumerate((("closed", _closed_port()), ("open", not_http))):
        registration = _registration(brand, f"http://127.0.0.1:{port}/push")
        event = _citizen_rejects(brand, api, base, f"+90530000011{n}")[0]
        delivery = PushDelivery.objects.create(registration=registration, event=event)
        assert push_deliver.delay(delivery.pk).get() == "pending"
        delivery.refresh_from_db()
        errors[name] = (delivery.last_error, delivery.last_status_code)
        registration.state = "REMOVED"
        registration.save()
    assert errors == {"closed": ("unreachable", None), "open": ("unreachable", None)}
