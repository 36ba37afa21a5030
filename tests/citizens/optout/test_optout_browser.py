"""The public opt-out page in headless Chromium: phone → code from the test outbox → channel → RET."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from consents.models import Consent, ConsentEvent, RecipientType, Source, Status, Via
from consents.services import consent_record
from providers.models import Channel
from tests.browser_helpers import wait_for_heading

from ..conftest import last_sms_code

PHONE = "+905321234567"


@pytest.mark.browser
def test_optout_page_rejects_sms_for_a_brand(browser, brand, provider_actor):
    for channel in (Channel.MESAJ, Channel.ARAMA):
        consent_record(
            brand=brand, recipient=PHONE, recipient_type=RecipientType.BIREYSEL, channel=channel, status=Status.ONAY,
            source=Source.HS_WEB, consent_date=timezone.now() - dt.timedelta(hours=1), actor=provider_actor, via=Via.WEB,
        )
    browser.get(f"{browser.live_server_url}/ret/{brand.brand_code}/")
    assert brand.name in browser.find_element(By.TAG_NAME, "h1").text

    browser.find_element(By.ID, "id_address").send_keys("0532 123 45 67")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_heading(browser, "Doğrulama kodunu girin")

    browser.find_element(By.ID, "id_code").send_keys(last_sms_code(PHONE))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_heading(browser, "için ret")

    # Both phone channels start ticked; keep calls, stop SMS.
    sms_box = browser.find_element(By.CSS_SELECTOR, "input[name=channels][value=MESAJ]")
    call_box = browser.find_element(By.CSS_SELECTOR, "input[name=channels][value=ARAMA]")
    assert sms_box.is_selected() and call_box.is_selected()
    call_box.click()
    browser.find_element(By.CSS_SELECTOR, "main form button.danger").click()

    wait_for_heading(browser, "Ret kaydınız alındı")
    confirmation = browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert brand.name in confirmation and "SMS (kısa mesaj)" in confirmation and "Sesli arama" not in confirmation

    # A citizen's rejection is stored for both recipient types (issue 10): the BIREYSEL record is the one shown.
    sms = Consent.objects.get(brand=brand, recipient=PHONE, channel=Channel.MESAJ, recipient_type="BIREYSEL")
    assert Consent.objects.get(brand=brand, recipient=PHONE, channel=Channel.MESAJ, recipient_type="TACIR").status == Status.RET
    call = Consent.objects.get(brand=brand, recipient=PHONE, channel=Channel.ARAMA)
    assert (sms.status, sms.source) == (Status.RET, Source.IYS_FRAME_SMS)
    assert call.status == Status.ONAY
    event = ConsentEvent.objects.filter(consent=sms).latest("id")
    assert (event.status, event.source, event.via) == (Status.RET, Source.IYS_FRAME_SMS, Via.OPTOUT_LINK)
