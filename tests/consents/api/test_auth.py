"""Tokens (password and refresh grants, hashed, revocable), rate limits with Retry-After, size limits."""

from __future__ import annotations

import hashlib
import time

import pytest
from django.test import Client

from consents.api import ratelimit
from consents.api.auth import revoke_user_tokens
from consents.models import ApiToken, ApiTokenKind
from tests.consents.api.support import (  # noqa: F401 - fixtures
    PASSWORD,
    ApiClient,
    api,
    api_user,
    base,
    client_for,
    consent_body,
)

pytestmark = pytest.mark.django_db


def token(client: Client, **data):
    return client.post("/api/oauth2/token", data=data)  # form-encoded, like OAuth2 clients send


def test_password_grant_json_and_form_issue_hashed_tokens(api_user, base):
    client = Client(REMOTE_ADDR="10.1.1.1")
    r = token(client, grant_type="password", username=api_user.username, password=PASSWORD)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["expires_in"] == 7200 and body["refresh_expires_in"] == 14400 and body["token_type"] == "bearer"
    )
    stored = set(ApiToken.objects.values_list("token_hash", flat=True))
    assert hashlib.sha256(body["access_token"].encode()).hexdigest() in stored
    assert body["access_token"] not in stored and body["refresh_token"] not in stored
    r = client.post(
        "/api/oauth2/token",
        data={"grant_type": "password", "username": api_user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 200
    authorised = ApiClient(body["access_token"]).get(base.rsplit("/brands", 1)[0] + "/brands")
    assert authorised.status_code == 200


def test_token_errors_in_oauth_shape(api_user):
    client = Client(REMOTE_ADDR="10.1.1.2")
    assert token(client).json() == {
        "error": "invalid_request",
        "error_description": "Giriş yöntemi belirtilmemiş.",
    }
    assert token(client, grant_type="client_credentials").json()["error"] == "invalid_grant"
    assert (
        token(client, grant_type="password", username=api_user.username).json()["error_description"]
        == "Şifre verilmemiş."
    )
    r = token(client, grant_type="password", username=api_user.username, password="wrong")
    assert r.status_code == 400 and r.json()["error_description"] == "Kullanıcı kimlik bilgileri geçersiz."
    api_user.is_active = False
    api_user.save()
    assert (
        token(client, grant_type="password", username=api_user.username, password=PASSWORD).status_code == 400
    )


def test_refresh_rotates_and_the_old_refresh_token_dies(api_user, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="10.1.1.3")
    first = token(client, grant_type="password", username=api_user.username, password=PASSWORD).json()
    second = token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200 and second.json()["access_token"] != first["access_token"]
    with django_capture_on_commit_callbacks(execute=True):
        again = token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # A reused refresh token is a stolen copy: every live token of the user ends, the new pair too.
    assert not ApiToken.objects.filter(api_user=api_user, revoked_at__isnull=True).exists()
    assert (
        token(client, grant_type="refresh_token", refresh_token=second.json()["refresh_token"]).status_code
        == 400
    )
    # An access token is no refresh token.
    assert token(client, grant_type="refresh_token", refresh_token=first["access_token"]).status_code == 400


def test_revoked_and_wrong_tokens_are_401(api_user, base):
    api = client_for(api_user)
    assert api.post(base + "/consents", consent_body()).status_code == 200
    assert revoke_user_tokens(api_user) == 2
    r = api.post(base + "/consents", consent_body("+905300000001"))
    assert r.status_code == 401 and r.json() == {
        "errors": [{"code": "H351", "message": "Eksik veya geçersiz jeton!"}]
    }
    assert ApiClient("not-a-token").post(base + "/consents", consent_body()).status_code == 401
    assert ApiToken.objects.filter(kind=ApiTokenKind.ACCESS, revoked_at__isnull=False).count() == 1


def test_per_token_and_per_address_limits_answer_429_with_retry_after(api_user, base, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_000.25)  # all calls in one window
    settings.API_RATE_LIMIT_PER_SECOND = 3
    settings.API_RATE_LIMIT_PER_ADDRESS_PER_SECOND = 5
    query = {"recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ"}
    # Per token: the fourth call within the second is refused.
    api = client_for(api_user, address="10.2.0.1")
    statuses = [api.post(base + "/consents/status", query).status_code for _ in range(4)]
    assert statuses[:3] == [404, 404, 404] and statuses[3] == 429
    limited = api.post(base + "/consents/status", query)
    assert limited.status_code == 429 and limited.json()["errors"][0]["code"] == "H124"
    assert limited["Retry-After"] == "1"
    # Per address: two tokens from one address share its budget of 5.
    a, b = client_for(api_user, "10.2.0.2"), client_for(api_user, "10.2.0.2")
    results = [c.post(base + "/consents/status", query).status_code for c in (a, b, a, b, a, b)]
    assert results == [404, 404, 404, 404, 404, 429]
    # The next window lets them in again.
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_001.25)
    assert a.post(base + "/consents/status", query).status_code == 404


def test_token_endpoint_is_limited_per_address_and_failed_logins_per_username(api_user, settings):
    settings.API_TOKEN_RATE_LIMIT_PER_HOUR = 3
    client = Client(REMOTE_ADDR="10.3.0.1")
    for _ in range(3):
        assert (
            token(client, grant_type="password", username=api_user.username, password=PASSWORD).status_code
            == 200
        )
    r = token(client, grant_type="password", username=api_user.username, password=PASSWORD)
    assert r.status_code == 429 and r.json()["errors"][0]["code"] == "H084" and int(r["Retry-After"]) > 0
    settings.API_TOKEN_RATE_LIMIT_PER_HOUR = 1000
    settings.API_LOGIN_FAILURES_PER_15_MIN = 2
    for n in range(2):
        assert (
            token(
                Client(REMOTE_ADDR=f"10.3.1.{n}"),
                grant_type="password",
                username=api_user.username,
                password="guess",
            ).status_code
            == 400
        )
    # Guessing stops, even with the right password from a fresh address.
    r = token(
        Client(REMOTE_ADDR="10.3.2.1"), grant_type="password", username=api_user.username, password=PASSWORD
    )
    assert r.status_code == 429 and r["Retry-After"]


def test_oversized_bodies_are_refused_before_parsing(api, base, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    big = [consent_body(f"+9053{i:08d}") for i in range(200)]
    r = api.post(base + "/consents/request", big)
    assert r.status_code == 413 and r.json()["errors"][0]["code"] == "ILT413"  # not İYS's "service busy"
    r = Client().post("/api/oauth2/token", data="x" * 20_000, content_type="application/json")
    assert r.status_code == 413


def test_malformed_json_is_400_h014(api, base):
    r = api.client.post(
        "/api" + base + "/consents",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "H014"
    # More form fields than Django accepts is the client's fault too: 400, never 500.
    r = Client().post("/api/oauth2/token", data={f"f{i}": "x" for i in range(1200)})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "H014"


def test_counts_far_from_the_limit_reach_redis_in_batches_and_stay_exact_near_it(monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_900_000_000.5)
    lim = ratelimit.Limit("token", "batching-test", 1000, 1)
    for _ in range(10):
        assert ratelimit.hit([lim]) is None
    time.sleep(ratelimit.SYNC_EVERY + 0.01)
    assert ratelimit.hit([lim]) is None
    assert int(ratelimit._redis().get(lim.key(1_900_000_000.5))) == 11  # nothing lost on the way
    tight = ratelimit.Limit("token", "exact-test", 4, 1)
    assert [ratelimit.hit([tight]) for _ in range(5)] == [None, None, None, None, 1]


def test_api_requests_skip_session_cookies_and_still_check_the_host(api, base, settings):
    r = api.post(
        base + "/consents/status",
        {"recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ"},
    )
    assert r.status_code == 404 and not r.cookies and r["Content-Length"] == str(len(r.content))
    assert "Content-Language" not in r  # İYS's Turkish wording, whatever the visitor's language
    r = api.client.post(
        "/api" + base + "/consents/status",
        data="{}",
        content_type="application/json",
        HTTP_HOST="evil.example.com",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert r.status_code == 400
