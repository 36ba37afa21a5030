"""Integrator health: each API user's 24-hour success rate, on the portal and in the admin, and the alert."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client

from consents.api import ratelimit
from consents.api.tasks import check_integrator_health
from consents.models import ApiUser, IntegratorAlert
from tests import factories
from tests.consents.api.support import client_for, consent_body, make_api_user

pytestmark = pytest.mark.django_db


def _traffic(api, provider, brand, ok: int, failed: int, first: int = 0) -> None:
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    for n in range(first, first + ok):
        assert api.post(base + "/consents", consent_body(f"+9053200{n:05d}")).status_code == 200
    for _n in range(failed):  # 422: an invalid consent is the caller's fault
        assert api.post(base + "/consents", consent_body("not-a-phone")).status_code in (400, 422)


@pytest.fixture
def staff():
    return factories.UserFactory(is_staff=True, is_superuser=True, email="operator@ileti.local")


def test_a_rate_under_70_percent_alerts_operators_once_and_recovers(settings, provider, brand, staff, owner):
    settings.API_HEALTH_MIN_REQUESTS = 10
    user = make_api_user(provider=provider, username="erp")
    api = client_for(user)
    _traffic(api, provider, brand, ok=6, failed=4)  # 60 %
    assert check_integrator_health() == 1
    alert = IntegratorAlert.objects.get(api_user=user, resolved_at__isnull=True)
    assert (alert.requests, alert.failures) == (10, 4) and alert.notified_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["operator@ileti.local"]
    assert "erp" in mail.outbox[0].subject and "%60.0" in mail.outbox[0].body
    user.refresh_from_db()
    assert (user.health_requests, user.health_failures) == (10, 4)
    # Still failing: no second alert, no second e-mail.
    assert check_integrator_health() == 0 and IntegratorAlert.objects.count() == 1
    # The portal shows the rate and the warning; the admin's filter finds the user.
    portal = Client()
    portal.force_login(owner)
    page = portal.get("/isletme/api-kullanicilari/").content.decode()
    assert "10 istek, %60,0 başarılı" in page  # Turkish decimal comma and "İYS eşiğinin (%70) altında" in page
    admin = Client()
    admin.force_login(staff)
    listed = admin.get("/admin/consents/apiuser/?health=failing").content.decode()
    assert ">erp<" in listed and "%60.0 (10)" in listed
    assert ">erp<" not in admin.get("/admin/consents/apiuser/?health=ok").content.decode()
    # Recovery (16 of 20 fine = 80 %) resolves the alert.
    _traffic(api, provider, brand, ok=10, failed=0, first=100)
    check_integrator_health()
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert ">erp<" in admin.get("/admin/consents/apiuser/?health=ok").content.decode()


def test_few_requests_are_not_judged(settings, provider, brand, staff):
    settings.API_HEALTH_MIN_REQUESTS = 20_000  # İYS's volume
    user = make_api_user(provider=provider)
    _traffic(client_for(user), provider, brand, ok=1, failed=3)
    assert check_integrator_health() == 0 and not IntegratorAlert.objects.exists() and not mail.outbox
    assert ApiUser.objects.get(pk=user.pk).health_requests == 4


@pytest.fixture
def low_threshold(monkeypatch):
    monkeypatch.setenv("API_HEALTH_MIN_REQUESTS", "4")


def test_the_beat_task_runs_on_a_real_worker(low_threshold, celery_worker, provider, brand, staff):
    user = make_api_user(provider=provider)
    _traffic(client_for(user), provider, brand, ok=1, failed=3)
    # This (API) process writes its buffered counts at its next request or within a second; do it now.
    ratelimit.flush_activity()
    check_integrator_health.delay().get(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not IntegratorAlert.objects.filter(notified_at__isnull=False).exists():
        time.sleep(0.2)
    alert = IntegratorAlert.objects.get(api_user=user)
    assert (alert.requests, alert.failures) == (4, 3) and alert.notified_at is not None


def test_health_is_counted_per_api_user_not_per_address(settings, provider, brand, staff):
    """İYS judges each API user: two users calling from one address get their own rates, and only the
    failing one is alerted."""
    settings.API_HEALTH_MIN_REQUESTS = 4
    good = make_api_user(provider=provider, username="crm")
    bad = make_api_user(provider=provider, username="erp")
    _traffic(client_for(good, address="10.9.9.9"), provider, brand, ok=4, failed=0)
    _traffic(client_for(bad, address="10.9.9.9"), provider, brand, ok=1, failed=3, first=50)
    assert check_integrator_health() == 1
    assert IntegratorAlert.objects.get(resolved_at__isnull=True).api_user_id == bad.pk
    figures = dict(ApiUser.objects.filter(pk__in=[good.pk, bad.pk]).values_list("username", "health_failures"))
    assert figures == {"crm": 0, "erp": 3}
