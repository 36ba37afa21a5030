"""Text that cannot be stored is refused at the API's edge, on its field, in İYS's shape (no more 500s)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from consents.models import ApiBatchRequest, PushRegistration
from providers.models import Retailer
from tests.consents.api.support import (  # noqa: F401 - fixtures
    PASSWORD,
    api,
    api_user,
    base,
    consent_body,
)

pytestmark = pytest.mark.django_db


def errors(response) -> list[dict]:
    return response.json()["errors"]


def test_token_endpoint_refuses_nul_in_json_and_form(api_user):
    client = Client(REMOTE_ADDR="10.3.3.3")
    r = client.post(
        "/api/oauth2/token",
        json.dumps({"grant_type": "password", "username": "a\x00b", "password": PASSWORD}),
        content_type="application/json",
    )
    # İYS's token endpoint answers in OAuth's shape; the description names the field.
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert "username" in r.json()["error_description"]
    r = client.post("/api/oauth2/token", {"grant_type": "refresh_token", "refresh_token": "x\x00"})
    assert r.status_code == 400 and "refresh_token" in r.json()["error_description"]
    # The right credentials still work.
    ok = client.post("/api/oauth2/token", {"grant_type": "password", "username": api_user.username,
                                           "password": PASSWORD})
    assert ok.status_code == 200


def test_retailer_create_names_the_field(api, base):
    r = api.post(base + "/retailers", {"title": "Bayi\x00", "city": {"code": "34", "name": "İstanbul"}})
    assert r.status_code == 400
    assert errors(r) == [
        {"code": "H016", "message": errors(r)[0]["message"], "location": ["title"], "value": "Bayi\ufffd"}
    ]
    r = api.post(base + "/retailers", {"title": "Bayi", "city": {"code": "34", "name": "İst\x00anbul"}})
    assert r.status_code == 400 and errors(r)[0]["location"] == ["city", "name"]
    r = api.post(base + "/retailers", {"title": "Bayi", "mobile": "+90532\x07", "tckn": "5770\x00"})
    assert [(e["code"], e["location"]) for e in errors(r)] == [("H224", ["mobile"]), ("H225", ["tckn"])]
    assert not Retailer.objects.exists()


def test_push_registration_and_unregistration(api, base):
    connection = {"url": "https://push.example.org/\x00", "type": "MESAJ", "username": "u", "password": "p"}
    r = api.post(base + "/push/registration", {"connection": [connection]})
    assert r.status_code == 422
    assert errors(r)[0]["code"] == "H530" and errors(r)[0]["location"] == ["connection", 0, "url"]
    assert errors(r)[0]["message"] == "Bağlantı oluşturulamadı."
    r = api.post(base + "/push/unregistration", {**connection, "url": "https://a.example", "username": "u\x00"})
    assert r.status_code == 422 and errors(r)[0]["location"] == ["username"]
    assert not PushRegistration.objects.exists()


def test_change_feed_cursor_and_batch_status_id(api, base):
    r = api.get(base + "/consents/changes?after=1_%00abc")
    assert r.status_code == 422
    assert errors(r) == [
        {"code": "ILT410", "message": "after değeri geçerli olmalıdır.", "location": ["after"], "value": "1_\ufffdabc"}
    ]
    r = api.get(base + "/consents/request/abc-%00-123")
    assert r.status_code == 400 and errors(r)[0]["code"] == "H097"
    assert errors(r)[0]["location"] == ["requestId"]


def test_batch_item_consent_date_names_the_item(api, base):
    items = [consent_body("+905321234567"), consent_body("+905321234568", consentDate="2024-01-01\x0010:00:00")]
    r = api.post(base + "/consents/request", items)
    assert r.status_code == 422
    assert errors(r) == [
        {
            "code": "H157",
            "message": "Geçerli bir tarih girilmelidir.",
            "index": 1,
            "location": ["consentDate"],
            "value": "2024-01-01\ufffd10:00:00",
        }
    ]
    assert not ApiBatchRequest.objects.exists()


def test_lone_surrogates_and_deep_nesting_are_client_errors(api, base):
    body = json.dumps(consent_body()).replace('"+905321234567"', '"+90532\\ud800"')
    r = api.client.post(
        "/api" + base + "/consents", body, content_type="application/json", **api._headers()
    )
    assert r.status_code == 422 and errors(r)[0]["location"] == ["recipient"]
    r = api.client.post(
        "/api" + base + "/consents", b"[" * 100_000 + b"]" * 100_000, content_type="application/json",
        **api._headers(),
    )
    assert r.status_code == 400 and errors(r)[0]["code"] == "H014"


def test_plain_text_and_unicode_pass(api, base):
    dealer = {
        "title": "Şahin Ticaret — “Merkez”",
        "name": "Ayşe Öztürk",
        "tckn": "57703411244",
        "tin": "8450525470",
        "city": {"code": "34", "name": "İstanbul"},
        "town": {"code": "01", "name": "Kadıköy"},
    }
    r = api.post(base + "/retailers", dealer)
    assert r.status_code == 201, r.content
