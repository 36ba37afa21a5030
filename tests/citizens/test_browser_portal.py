from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from consents.models import ActorKind, Consent, ConsentEvent
from tests.browser_helpers import wait_for_heading
from tests.factories import BrandFactory, ProviderFactory

from .conftest import last_sms_code, make_consent

PHONE = "+905321234567"


@pytest.mark.browser
def test_sign_in_with_an_sms_code_and_reject_one_brand(browser):
    provider = ProviderFactory(name="Deniz Market A.Ş.")
    deniz = BrandFactory(provider=provider, name="Deniz Market")
    yildiz = BrandFactory(name="Yıldız Giyim")
    make_consent(deniz, PHONE, "MESAJ")
    make_consent(deniz, PHONE, "ARAMA")
    make_consent(yildiz, PHONE, "MESAJ")

    browser.get(browser.live_server_url + "/vatandas/giris/")
    # The label is tied to its input (accessibility) and the page speaks Turkish.
    label = browser.find_element(By.CSS_SELECTOR, "label[for='id_address']")
    assert "Telefon numarası" in label.text
    browser.find_element(By.ID, "id_address").send_keys("0532 123 45 67")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()

    wait_for_heading(browser, "Kodu girin")
    # live_server runs in this process, so the locmem SMS outbox is readable here.
    browser.find_element(By.ID, "id_code").send_keys(last_sms_code(PHONE))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()

    wait_for_heading(browser, "İzinlerim")
    card = browser.find_element(By.ID, f"marka-{deniz.pk}")
    assert "Deniz Market A.Ş." in card.text
    card.find_element(By.CSS_SELECTOR, "[data-test=reject-brand]").click()

    # One confirmation step, listing what will be rejected.
    wait_for_heading(browser, "Reddi onaylayın")
    assert browser.page_source.count("<strong>Deniz Market</strong>") == 2
    assert Consent.objects.filter(brand=deniz, status="RET").count() == 0
    browser.find_element(By.ID, "confirm-reject").click()

    wait_for_heading(browser, "İzinlerim")
    assert "2 izin reddedildi" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    card = browser.find_element(By.ID, f"marka-{deniz.pk}")
    switches = card.find_elements(By.CSS_SELECTOR, ".switch")
    assert [s.get_attribute("data-state") for s in switches] == ["off", "off"]
    other = browser.find_element(By.ID, f"marka-{yildiz.pk}").find_element(By.CSS_SELECTOR, ".switch")
    assert other.get_attribute("data-state") == "on"

    assert set(Consent.objects.filter(brand=deniz).values_list("status", "source")) == {("RET", "IYS_WEB")}
    assert Consent.objects.get(brand=yildiz).status == "ONAY"
    # Two channels, each rejected for both recipient types (issue 10: a citizen's RET holds for TACIR too).
    events = ConsentEvent.objects.filter(brand=deniz, status="RET")
    assert events.count() == 4 and set(events.values_list("actor_kind", flat=True)) == {ActorKind.CITIZEN}
    assert set(events.values_list("recipient_type", flat=True)) == {"BIREYSEL", "TACIR"}


@pytest.mark.browser
def test_consents_page_works_on_a_phone_screen_and_with_the_keyboard(browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    brand = BrandFactory(name="Klavye Market")
    consent = make_consent(brand, PHONE, "MESAJ")
    browser.set_window_size(375, 800)
    browser.get(browser.live_server_url + "/vatandas/giris/")
    browser.find_element(By.ID, "id_address").send_keys(PHONE + Keys.ENTER)
    wait_for_heading(browser, "Kodu girin")
    browser.find_element(By.ID, "id_code").send_keys(last_sms_code(PHONE) + Keys.ENTER)
    wait_for_heading(browser, "İzinlerim")

    # Nothing wider than a phone screen.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")

    # Tab to the channel switch and press it: the keyboard alone reaches the confirmation and the rejection.
    switch = browser.find_element(By.ID, f"sw-{consent.pk}")
    for _ in range(40):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.switch_to.active_element == switch:
            break
    assert browser.switch_to.active_element == switch
    # The focused switch is visibly outlined (ileti.css :focus-visible).
    assert browser.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle") != "none"
    switch.send_keys(Keys.ENTER)
    wait_for_heading(browser, "Reddi onaylayın")
    browser.find_element(By.ID, "confirm-reject").send_keys(Keys.ENTER)
    wait_for_heading(browser, "İzinlerim")
    consent.refresh_from_db()
    assert consent.status == "RET" and consent.source == "IYS_WEB"
