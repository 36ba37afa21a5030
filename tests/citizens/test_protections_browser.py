"""Issue 13 point 3 in headless Chromium: tries left, switches that say what a tap does, re-approval asks first."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from consents.models import Consent
from tests.browser_helpers import wait_for_heading
from tests.factories import BrandFactory, ProviderFactory

from .conftest import last_sms_code, make_consent

PHONE = "+905321112233"
pytestmark = pytest.mark.browser


def _sign_in(browser, *, wrong_first: bool = False) -> None:
    browser.get(browser.live_server_url + "/vatandas/giris/")
    field = browser.find_element(By.ID, "id_address")
    # The phone field opens the phone keypad on a mobile browser.
    assert field.get_attribute("type") == "tel" and field.get_attribute("inputmode") == "tel"
    field.send_keys("0532 111 22 33")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_heading(browser, "Kodu girin")
    assert "0532 111 22 33 numarasına" in browser.find_element(By.TAG_NAME, "main").text
    right = last_sms_code(PHONE)
    if wrong_first:
        browser.find_element(By.ID, "id_code").send_keys("000000" if right != "000000" else "111111")
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait_for_heading(browser, "Kodu girin")
        assert "2 deneme hakkınız kaldı" in browser.find_element(By.CSS_SELECTOR, ".errorlist").text
        browser.find_element(By.ID, "id_code").clear()
    browser.find_element(By.ID, "id_code").send_keys(right)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_heading(browser, "İzinlerim")


def test_wrong_code_tells_the_tries_left_then_switches_show_their_action(browser):
    brand = BrandFactory(provider=ProviderFactory(name="Deniz Market A.Ş."), name="Deniz Market")
    onay = make_consent(brand, PHONE, "MESAJ")
    ret = make_consent(brand, PHONE, "ARAMA", status="RET", source="IYS_WEB")
    browser.set_window_size(390, 844)
    _sign_in(browser, wrong_first=True)

    on = browser.find_element(By.ID, f"sw-{onay.pk}")
    off = browser.find_element(By.ID, f"sw-{ret.pk}")
    # Visible words, not colour or knob position alone: the state and what a tap does.
    # The state is drawn by CSS (the button's name is its action, issue 17): read it as the reader sees it.
    shown = "return getComputedStyle(arguments[0].querySelector('.sw-state'), '::before').content"
    assert browser.execute_script(shown, on) == '"Onaylı"' and on.text.split() == ["Reddet"]
    assert browser.execute_script(shown, off) == '"Reddedildi"' and off.text.split() == ["İzin", "ver"]
    assert on.get_attribute("data-state") == "on" and off.get_attribute("data-state") == "off"
    assert on.find_element(By.CSS_SELECTOR, ".sw-action").is_displayed()
    assert "0532 111 22 33" in browser.find_element(By.TAG_NAME, "main").text
    # One rejected channel: no brand-wide "approve again" beside its own switch.
    assert not browser.find_elements(By.XPATH, "//button[contains(., 'yeniden onay ver')]")


def test_reapproving_asks_first_and_cancelling_changes_nothing(browser):
    brand = BrandFactory(provider=ProviderFactory(name="Deniz Market A.Ş."), name="Deniz Market")
    ret = make_consent(brand, PHONE, "MESAJ", status="RET", source="IYS_WEB")
    _sign_in(browser)

    browser.find_element(By.ID, f"sw-{ret.pk}").click()
    wait_for_heading(browser, "Yeniden onayı onaylayın")
    listed = browser.find_element(By.ID, "approve-list").text
    assert "Deniz Market" in listed and "Deniz Market A.Ş." in listed and "0532 111 22 33" in listed
    assert Consent.objects.get(pk=ret.pk).status == "RET"
    browser.find_element(By.LINK_TEXT, "Vazgeç").click()
    wait_for_heading(browser, "İzinlerim")
    assert Consent.objects.get(pk=ret.pk).status == "RET"

    browser.find_element(By.ID, f"sw-{ret.pk}").click()
    wait_for_heading(browser, "Yeniden onayı onaylayın")
    browser.find_element(By.ID, "confirm-approve").click()
    wait_for_heading(browser, "İzinlerim")
    assert "1 izin için yeniden onay verdiniz" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    assert browser.find_element(By.ID, f"sw-{ret.pk}").get_attribute("data-state") == "on"
    assert Consent.objects.get(pk=ret.pk).status == "ONAY"
