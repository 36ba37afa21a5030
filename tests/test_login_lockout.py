"""Sign-in brute force (django-axes): the portal and the admin lock a username from one address."""
from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from providers.models import Role
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "parola-123456"
PORTAL = reverse("portal:login")
ADMIN = reverse("admin:login")


def _sign_in(client: Client, url: str, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail_until_locked(client: Client, url: str, username: str, address: str = "203.0.113.7") -> None:
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        response = _sign_in(client, url, username, "yanlis", address)
        assert response.status_code == 200, attempt
    response = _sign_in(client, url, username, "yanlis", address)
    assert response.status_code == 429


def test_portal_locks_a_username_from_one_address_after_five_failures_with_a_turkish_message(client):
    user = factories.MembershipFactory(role=Role.VIEWER).user
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        page = _sign_in(client, PORTAL, user.username, "yanlis").content.decode()
        assert "Kullanıcı adı ya da parola hatalı" in page
    locked = _sign_in(client, PORTAL, user.username, "yanlis")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Giriş geçici olarak kilitlendi" in page
    assert f"“{user.username}” kullanıcı adıyla bu adresten 5 kez üst üste hatalı parola girildi." in page
    assert "15 dakika" in page and 'href="/static/css/ileti.css"' in page  # the site's own page
    # The right password no longer helps from this address...
    response = _sign_in(client, PORTAL, user.username, PASSWORD)
    assert response.status_code == 429 and SESSION_KEY not in client.session
    # ...but the same user elsewhere, and another user here, still sign in.
    assert _sign_in(Client(), PORTAL, user.username, PASSWORD, address="198.51.100.9").status_code == 302
    other = factories.MembershipFactory(role=Role.VIEWER).user
    assert _sign_in(Client(), PORTAL, other.username, PASSWORD).status_code == 302


def test_the_lockout_page_speaks_english_in_english_mode(client):
    user = factories.MembershipFactory().user
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _fail_until_locked(client, PORTAL, user.username)
    page = _sign_in(client, PORTAL, user.username, PASSWORD).content.decode()
    assert "Sign-in temporarily locked" in page
    assert f"A wrong password was entered 5 times in a row for the username “{user.username}” from this address." in page
    assert "15 minutes" in page


def test_a_successful_sign_in_before_the_limit_starts_the_count_again(client):
    user = factories.MembershipFactory().user
    for _ in range(4):
        _sign_in(client, PORTAL, user.username, "yanlis")
    assert _sign_in(client, PORTAL, user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert _sign_in(client, PORTAL, user.username, "yanlis").status_code == 200
    assert _sign_in(client, PORTAL, user.username, PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client):
    user = factories.MembershipFactory().user
    _fail_until_locked(client, PORTAL, user.username)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1))
    assert _sign_in(client, PORTAL, user.username, PASSWORD).status_code == 302


def test_admin_login_locks_too_and_an_operator_unlocks_it_in_the_admin(client, admin_client):
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    _fail_until_locked(client, ADMIN, staff.username)
    page = _sign_in(client, ADMIN, staff.username, PASSWORD)
    assert page.status_code == 429 and "Giriş geçici olarak kilitlendi" in page.content.decode()
    # The operator finds the locked attempt in the admin and deletes it: that is the unlock.
    changelist = reverse("admin:axes_accessattempt_changelist")
    listing = admin_client.get(changelist, {"locked_out": "yes"}).content.decode()
    assert staff.username in listing
    [attempt] = AccessAttempt.objects.filter(username=staff.username)
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert response.status_code == 302 and not AccessAttempt.objects.filter(username=staff.username).exists()
    response = _sign_in(client, ADMIN, staff.username, PASSWORD)
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(staff.pk)


def test_the_address_is_the_one_behind_our_trusted_proxy(client, settings):
    user = factories.MembershipFactory().user
    # Unset trusted proxies: a forged X-Forwarded-For does not buy a fresh address.
    _fail_until_locked(client, PORTAL, user.username)
    forged = client.post(
        PORTAL, {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.50",
    )
    assert forged.status_code == 429
    # Behind one trusted proxy, the client it reports is the address that is locked, not the proxy.
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(PORTAL, {"username": user.username, "password": "yanlis"},
                    REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.60")
    assert AccessAttempt.objects.filter(ip_address="192.0.2.60").exists()
    neighbour = Client().post(PORTAL, {"username": user.username, "password": PASSWORD},
                              REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.61")
    assert neighbour.status_code == 302
