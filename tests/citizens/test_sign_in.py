from __future__ import annotations

import httpx
import pytest
from django.urls import reverse

from citizens.auth import CITIZEN_SESSION_KEY
from citizens.models import Citizen, CitizenAddress, OneTimeCode
from citizens.sms.backends.http import SmsBackend as HttpSmsBackend

from .conftest import last_sms_code, make_citizen

pytestmark = pytest.mark.django_db
PHONE = "+905321234567"


def test_sign_in_with_a_phone_creates_a_citizen_and_an_active_claim(client, sms_outbox):
    response = client.post(reverse("citizens:sign_in"), {"address": "0532 123 45 67"})
    assert response.status_code == 302 and response.url == reverse("citizens:sign_in_code")
    assert sms_outbox[-1].to == PHONE
    page = client.get(reverse("citizens:sign_in_code")).content.decode()
    # Written as people dial it, and a phone is a "number", not an "address".
    assert "<strong>0532 123 45 67</strong> numarasına" in page and PHONE not in page
    response = client.post(reverse("citizens:sign_in_code"), {"code": last_sms_code(PHONE)})
    assert response.status_code == 302 and response.url == reverse("citizens:consents")
    citizen = Citizen.objects.get()
    assert client.session[CITIZEN_SESSION_KEY] == citizen.pk
    assert CitizenAddress.objects.get().value == PHONE
    assert client.get(reverse("citizens:consents")).status_code == 200
    # The citizen session is not a Django auth session.
    assert "_auth_user_id" not in client.session


def test_sign_in_returns_to_the_owner_of_the_address(client):
    owner = make_citizen(PHONE)
    client.post(reverse("citizens:sign_in"), {"address": PHONE})
    client.post(reverse("citizens:sign_in_code"), {"code": last_sms_code(PHONE)})
    assert client.session[CITIZEN_SESSION_KEY] == owner.pk
    assert Citizen.objects.count() == 1


def test_wrong_code_shows_a_message_and_three_wrong_tries_require_a_new_code(client):
    client.post(reverse("citizens:sign_in"), {"address": PHONE})
    right = last_sms_code(PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page = client.post(reverse("citizens:sign_in_code"), {"code": wrong})
    assert page.status_code == 200 and "Kod hatalı" in page.content.decode()
    client.post(reverse("citizens:sign_in_code"), {"code": wrong})
    page = client.post(reverse("citizens:sign_in_code"), {"code": wrong})
    assert "yeni bir kod" in page.content.decode()
    page = client.post(reverse("citizens:sign_in_code"), {"code": right})
    assert CITIZEN_SESSION_KEY not in client.session
    # A new code works.
    client.post(reverse("citizens:sign_in_code"), {"resend": "1"})
    client.post(reverse("citizens:sign_in_code"), {"code": last_sms_code(PHONE)})
    assert CITIZEN_SESSION_KEY in client.session


def test_invalid_address_is_explained(client):
    page = client.post(reverse("citizens:sign_in"), {"address": "merhaba"})
    assert page.status_code == 200
    assert 'class="errorlist' in page.content.decode()
    assert not OneTimeCode.objects.exists()


def test_rate_limit_is_shown_on_the_page(client, settings):
    settings.OTP_RATE_PER_ADDRESS = 1
    client.post(reverse("citizens:sign_in"), {"address": PHONE})
    client.get(reverse("citizens:sign_in_code"))
    response = client.post(reverse("citizens:sign_in_code"), {"resend": "1"}, follow=True)
    assert "çok fazla kod" in response.content.decode()


def test_sign_out_ends_the_citizen_session(client):
    client.post(reverse("citizens:sign_in"), {"address": PHONE})
    client.post(reverse("citizens:sign_in_code"), {"code": last_sms_code(PHONE)})
    client.post(reverse("citizens:sign_out"))
    assert CITIZEN_SESSION_KEY not in client.session
    response = client.get(reverse("citizens:consents"))
    assert response.status_code == 302 and response.url.startswith(reverse("citizens:sign_in"))


def test_next_parameter_cannot_redirect_off_site(client):
    client.post(reverse("citizens:sign_in"), {"address": PHONE, "next": "https://evil.example/"})
    response = client.post(reverse("citizens:sign_in_code"), {"code": last_sms_code(PHONE)})
    assert response.url == reverse("citizens:consents")


def test_help_page_is_public_and_built_from_the_faq(client):
    page = client.get(reverse("citizens:help")).content.decode()
    assert "Sıkça Sorulan Sorular" in page
    assert "15 Temmuz 2021" in page and "bayilik" in page


def test_dev_outbox_only_with_debug(client, settings):
    assert client.get(reverse("citizens:dev_outbox")).status_code == 404
    settings.DEBUG = True
    settings.SMS_BACKEND = "citizens.sms.backends.console.SmsBackend"
    client.post(reverse("citizens:sign_in"), {"address": PHONE})
    page = client.get(reverse("citizens:dev_outbox")).content.decode()
    assert PHONE in page and "doğrulama kodunuz" in page


def test_dev_email_backend_records_codes_for_the_outbox_page(client, settings):
    from citizens.models import DevMessage

    settings.DEBUG = True
    settings.EMAIL_BACKEND = "citizens.devoutbox.DevOutboxEmailBackend"
    client.post(reverse("citizens:sign_in"), {"address": "ayse@example.com"})
    message = DevMessage.objects.get()
    assert message.kind == "email" and message.to == "ayse@example.com" and "doğrulama kodunuz" in message.body
    assert "ayse@example.com" in client.get(reverse("citizens:dev_outbox")).content.decode()


class DownGatewayForTest(HttpSmsBackend):
    """The production backend against a gateway answering 503 (the outside world, mocked at the transport)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(url="https://gw.example/send", transport=httpx.MockTransport(lambda r: httpx.Response(503)))


def test_gateway_failure_is_explained_not_a_server_error(client, settings):
    settings.SMS_BACKEND = f"{__name__}.DownGatewayForTest"
    response = client.post(reverse("citizens:sign_in"), {"address": PHONE}, follow=True)
    assert response.status_code == 200
    assert "Kod şu anda gönderilemedi" in response.content.decode()
    assert CITIZEN_SESSION_KEY not in client.session


def test_a_deactivated_account_cannot_sign_in_nor_be_replaced(client):
    owner = make_citizen(PHONE)
    Citizen.objects.filter(pk=owner.pk).update(is_active=False)
    client.post(reverse("citizens:sign_in"), {"address": PHONE})
    page = client.post(reverse("citizens:sign_in_code"), {"code": last_sms_code(PHONE)})
    assert "devre dışı" in page.content.decode()
    assert CITIZEN_SESSION_KEY not in client.session
    assert Citizen.objects.count() == 1


def test_sign_in_returns_to_the_page_asked_for(client):
    target = reverse("citizens:add_brand") + "?q=deniz&x=1"
    response = client.get(target)
    client.get(response.url)
    client.post(response.url, {"address": PHONE, "next": target})
    response = client.post(reverse("citizens:sign_in_code"), {"code": last_sms_code(PHONE)})
    assert response.url == target
