"""The client address comes from X-Forwarded-For only through the proxies the settings trust."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from citizens.models import OneTimeCode
from config.client_ip import ClientIpLogFilter, client_ip, client_ip_from
from consents.models import ApiToken
from tests import factories
from tests.consents.api.support import PASSWORD, make_api_user


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, []
    assert client_ip_from("10.0.0.5", "203.0.113.9") == "10.0.0.5"


def test_a_proxy_count_believes_only_the_entries_those_proxies_appended(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 1, []
    # The client wrote "1.1.1.1" itself; our one proxy appended the address it saw.
    assert client_ip_from("10.0.0.5", "1.1.1.1, 203.0.113.9") == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip_from("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.7") == "203.0.113.9"
    # Fewer hops than configured (a request that bypassed a proxy): the leftmost address is the best known.
    assert client_ip_from("10.0.0.5", "203.0.113.9") == "203.0.113.9"
    assert client_ip_from("10.0.0.5", None) == "10.0.0.5"


def test_trusted_networks_skip_every_proxy_inside_them(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, ["10.0.0.0/8", "fd00::/8"]
    assert client_ip_from("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.2.3.4") == "203.0.113.9"
    assert client_ip_from("fd00::1", "2001:db8::7") == "2001:db8::7"
    # A direct client outside the networks cannot choose its address with the header.
    assert client_ip_from("198.51.100.1", "203.0.113.9") == "198.51.100.1"


def test_garbage_in_the_header_stops_at_the_last_real_hop(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, ["10.0.0.0/8"]
    assert client_ip_from("10.0.0.5", "not-an-address") == "10.0.0.5"
    assert client_ip_from("::ffff:10.0.0.5", "203.0.113.9") == "203.0.113.9"
    assert client_ip_from("", "203.0.113.9") is None


@pytest.mark.django_db
def test_otp_rate_limit_is_per_forwarded_client_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.OTP_RATE_PER_IP = 1
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    url = reverse("citizens:sign_in")
    proxy.post(url, {"address": "+905320000001"}, HTTP_X_FORWARDED_FOR="203.0.113.1")
    # Another citizen behind the same proxy has a bucket of their own.
    proxy.post(url, {"address": "+905320000002"}, HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert sorted(OneTimeCode.objects.values_list("client_ip", flat=True)) == ["203.0.113.1", "203.0.113.2"]
    # The first one, spoofing a new address in front of the real one, is still counted as itself.
    page = proxy.post(url, {"address": "+905320000003"}, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.1")
    assert "Bu bağlantıdan çok fazla kod istendi" in page.content.decode()
    assert OneTimeCode.objects.count() == 2


@pytest.mark.django_db
def test_otp_rate_limit_ignores_the_header_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXIES = 0, []
    settings.OTP_RATE_PER_IP = 1
    direct = Client(REMOTE_ADDR="198.51.100.1")
    url = reverse("citizens:sign_in")
    direct.post(url, {"address": "+905320000001"}, HTTP_X_FORWARDED_FOR="203.0.113.1")
    page = direct.post(url, {"address": "+905320000002"}, HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert "Bu bağlantıdan çok fazla kod istendi" in page.content.decode()
    assert list(OneTimeCode.objects.values_list("client_ip", flat=True)) == ["198.51.100.1"]


@pytest.mark.django_db
def test_api_rate_limit_and_token_audit_use_the_forwarded_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.API_TOKEN_RATE_LIMIT_PER_HOUR = 1
    user = make_api_user(provider=factories.ProviderFactory())
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    body = {"grant_type": "password", "username": user.username, "password": PASSWORD}
    first = proxy.post("/api/oauth2/token", body, content_type="application/json", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert first.status_code == 200
    assert ApiToken.objects.filter(client_address="203.0.113.1").count() == 2
    other = proxy.post("/api/oauth2/token", body, content_type="application/json", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert other.status_code == 200
    again = proxy.post("/api/oauth2/token", body, content_type="application/json", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert again.status_code == 429 and again.json()["errors"][0]["code"] == "H084"


def test_log_records_name_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.1")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found", (), None)
    record.request = request
    assert ClientIpLogFilter().filter(record) and record.client_ip == "203.0.113.1"
    bare = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    assert ClientIpLogFilter().filter(bare) and bare.client_ip == "-"
    assert client_ip(request) == "203.0.113.1"
