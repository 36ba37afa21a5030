"""Issue 13 point 3: what protects a citizen from a mistaken tap, a wrong code or an unreadable number."""
from __future__ import annotations

import pytest
from django.urls import reverse

from citizens.display import display_address, mask_address
from citizens.models import OtpPurpose
from citizens.otp import otp_send, otp_tries_left

from .conftest import last_sms_code, make_citizen, make_consent, sign_in_client

pytestmark = pytest.mark.django_db
PHONE = "+905321112233"


def test_phones_are_written_as_dialled_and_masked_the_same_way():
    assert display_address("+905321112233") == "0532 111 22 33"
    assert display_address("ayse@example.com") == "ayse@example.com"
    assert display_address("+4915112345678") == "+4915112345678"  # a foreign number keeps its + form
    assert mask_address("+905321112233") == "0532 *** ** 33"
    assert mask_address("ayse@example.com") == "a***@example.com"


def test_consents_page_shows_phones_as_dialled_and_switches_say_what_a_tap_does(client, brand):
    citizen = make_citizen(PHONE)
    onay = make_consent(brand, PHONE, "MESAJ")
    ret = make_consent(brand, PHONE, "ARAMA", status="RET", source="IYS_WEB")
    page = sign_in_client(client, citizen).get(reverse("citizens:consents")).content.decode()
    assert "0532 111 22 33" in page and PHONE not in page
    on = page[page.index(f'id="sw-{onay.pk}"'):]
    on = on[: on.index("</button>")]
    assert "Onaylı" in on and "Reddet" in on
    off = page[page.index(f'id="sw-{ret.pk}"'):]
    off = off[: off.index("</button>")]
    assert "Reddedildi" in off and "İzin ver" in off


def test_switch_text_follows_english(client, brand, settings):
    citizen = make_citizen(PHONE)
    make_consent(brand, PHONE, "MESAJ")
    sign_in_client(client, citizen)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("citizens:consents")).content.decode()
    assert 'data-label="Approved"' in page and ">Reject</span>" in page
    # The switch's accessible name is its action, in English too (issue 17).
    assert f'aria-label="Reject SMS (text message) consent for {brand.name}"' in page


def test_brand_wide_reapproval_only_when_more_than_one_channel_is_rejected(client, brand):
    citizen = make_citizen(PHONE)
    sms = make_consent(brand, PHONE, "MESAJ")
    make_consent(brand, PHONE, "ARAMA")
    sign_in_client(client, citizen)
    client.post(reverse("citizens:reject"), {"scope": "consent", "consent": sms.pk, "confirm": "1"})
    page = client.get(reverse("citizens:consents")).content.decode()
    # One rejected channel has its own switch: a brand-wide "approve again" would only repeat it.
    assert "yeniden onay ver" not in page
    client.post(reverse("citizens:reject"), {"scope": "brand", "brand": brand.pk, "confirm": "1"})
    page = client.get(reverse("citizens:consents")).content.decode()
    assert f"{brand.name}: yeniden onay ver" in page


def test_reapproval_asks_first_and_names_what_is_allowed_again_to_whom(client, brand):
    citizen = make_citizen(PHONE)
    ret = make_consent(brand, PHONE, "MESAJ", status="RET", source="IYS_WEB")
    sign_in_client(client, citizen)
    page = client.post(reverse("citizens:approve"), {"consent": ret.pk}).content.decode()
    assert "Yeniden onayı onaylayın" in page
    assert brand.name in page and brand.provider.name in page and "0532 111 22 33" in page
    ret.refresh_from_db()
    assert ret.status == "RET"
    response = client.post(reverse("citizens:approve"), {"consent": ret.pk, "confirm": "1"}, follow=True)
    assert "1 izin için yeniden onay verdiniz" in response.content.decode()
    ret.refresh_from_db()
    assert ret.status == "ONAY"


def test_phone_inputs_open_the_phone_keypad(client, brand):
    for url in (reverse("citizens:sign_in"), reverse("optout:brand", args=[brand.brand_code])):
        page = client.get(url).content.decode()
        assert 'type="tel"' in page and 'inputmode="tel"' in page and 'autocomplete="tel"' in page, url
        assert 'type="email"' in page and 'autocomplete="email"' in page, url


def test_sign_in_by_the_email_field(client, sms_outbox):
    from django.core import mail

    response = client.post(reverse("citizens:sign_in"), {"address": "", "email": "Ayse@Example.com"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["ayse@example.com"]
    page = client.get(reverse("citizens:sign_in_code")).content.decode()
    assert "<strong>ayse@example.com</strong> adresine" in page


def test_sign_in_needs_exactly_one_address(client):
    page = client.post(reverse("citizens:sign_in"), {"address": "", "email": ""}).content.decode()
    assert "Telefon numaranızı ya da e-posta adresinizi yazın." in page
    page = client.post(reverse("citizens:sign_in"), {"address": PHONE, "email": "a@example.com"}).content.decode()
    assert "yalnız birini yazın" in page


def test_wrong_code_says_how_many_tries_remain(client, sms_outbox):
    client.post(reverse("citizens:sign_in"), {"address": PHONE})
    right = last_sms_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    page = client.post(reverse("citizens:sign_in_code"), {"code": wrong}).content.decode()
    assert "Kod hatalı. 2 deneme hakkınız kaldı." in page
    page = client.post(reverse("citizens:sign_in_code"), {"code": wrong}).content.decode()
    assert "Kod hatalı. 1 deneme hakkınız kaldı." in page
    page = client.post(reverse("citizens:sign_in_code"), {"code": wrong}).content.decode()
    assert "Üç kez hatalı kod girildi" in page
    assert otp_tries_left(address=PHONE, purpose=OtpPurpose.SIGN_IN) == 0


def test_wrong_code_tries_in_english_and_on_the_optout_page(client, brand, settings):
    start = reverse("optout:brand", args=[brand.brand_code])
    client.post(start, {"address": PHONE})
    right = last_sms_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    page = client.post(reverse("optout:code", args=[brand.brand_code]), {"code": wrong}).content.decode()
    assert "2 deneme hakkınız kaldı" in page
    assert "0532 *** ** 33</strong> numarasına" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.post(reverse("optout:code", args=[brand.brand_code]), {"code": wrong}).content.decode()
    assert "The code is wrong. 1 try left." in page


def test_a_newer_code_resets_the_tries():
    otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    assert otp_tries_left(address=PHONE, purpose=OtpPurpose.SIGN_IN) == 3


def test_the_ret_short_number_is_in_the_faq_and_on_the_optout_page(client, brand, settings):
    settings.SMS_RET_NUMBER = "4545"
    faq = client.get(reverse("citizens:help")).content.decode()
    assert "4545 numarasına" in faq and "RET 700001" in faq
    page = client.get(reverse("optout:brand", args=[brand.brand_code])).content.decode()
    assert f"“RET {brand.brand_code}” yazıp 4545 numarasına gönderin" in page


def test_the_faq_tells_how_to_reject_by_call_in_both_languages(client, settings):
    settings.CALL_RET_NUMBER = "0850 111 22 33"
    faq = client.get(reverse("citizens:help")).content.decode()
    assert "Beni arayan bir işletmeyi telefonla nasıl reddederim?" in faq
    assert "0850 111 22 33 numaralı ret hattını arayın" in faq and "call the rejection line" not in faq
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    faq = client.get(reverse("citizens:help")).content.decode()
    assert "How do I reject a business that calls me, by phone?" in faq
    assert "call the rejection line 0850 111 22 33" in faq and "ret hattını" not in faq


def test_the_optout_done_page_speaks_of_a_number(client, brand, settings):
    settings.SMS_RET_NUMBER = "4545"
    client.post(reverse("optout:brand", args=[brand.brand_code]), {"address": PHONE})
    client.post(reverse("optout:code", args=[brand.brand_code]), {"code": last_sms_code(PHONE)})
    client.post(reverse("optout:channels", args=[brand.brand_code]), {"channels": ["MESAJ"]})
    page = client.get(reverse("optout:done", args=[brand.brand_code])).content.decode()
    assert "<strong>0532 *** ** 33</strong> numaranıza" in page and "4545 numarasına" in page


def test_a_rejection_stored_for_both_types_is_one_switch_and_reapproval_lifts_both(client, brand):
    """Rule 9 stores a citizen's RET for BIREYSEL and TACIR: the citizen sees one switch per channel, and
    re-approving it allows the brand again under both types (TACIR RET rows the business recorded stay)."""
    from consents.models import Consent

    citizen = make_citizen(PHONE)
    sms = make_consent(brand, PHONE, "MESAJ")
    signed_in = sign_in_client(client, citizen)
    signed_in.post(reverse("citizens:reject"), {"scope": "consent", "consent": sms.pk, "confirm": "1"})
    rows = Consent.objects.filter(brand=brand, recipient=PHONE, channel="MESAJ")
    assert sorted(rows.values_list("recipient_type", "status")) == [("BIREYSEL", "RET"), ("TACIR", "RET")]

    page = signed_in.get(reverse("citizens:consents")).content.decode()
    assert page.count('class="switch ') == 1

    signed_in.post(reverse("citizens:approve"), {"consent": sms.pk, "confirm": "1"})
    assert sorted(rows.values_list("recipient_type", "status")) == [("BIREYSEL", "ONAY"), ("TACIR", "ONAY")]
