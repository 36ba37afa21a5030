"""The portal in a real headless Chromium: sign-in through the form, the dashboard and its chart."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from providers.models import Role
from tests import factories

from .portal_data import browser_sign_in, bulk_consents

pytestmark = pytest.mark.browser


def test_sign_in_and_see_the_dashboard_with_its_chart(browser):
    membership = factories.MembershipFactory(role=Role.OPERATOR, provider__name="Tarayıcı Ticaret A.Ş.")
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    bulk_consents(brand, 60, days_back=20)

    # A wrong password first: the form says so and stays.
    browser.get(browser.live_server_url + "/isletme/")
    assert "/isletme/giris/" in browser.current_url
    browser.find_element(By.NAME, "username").send_keys(membership.user.username)
    browser.find_element(By.NAME, "password").send_keys("yanlis-parola")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    assert "Kullanıcı adı ya da parola hatalı" in browser.find_element(By.CSS_SELECTOR, ".errorlist").text

    browser_sign_in(browser, membership.user.username)
    assert browser.current_url.rstrip("/").endswith("/isletme")
    assert "Tarayıcı Ticaret A.Ş." in browser.find_element(By.CSS_SELECTOR, ".portal-context").text
    assert browser.find_element(By.TAG_NAME, "h1").text == "Panel"

    chart = browser.find_element(By.ID, "movement-chart")
    assert chart.is_displayed()
    size = chart.size
    assert size["width"] > 300 and size["height"] > 80  # laid out, not collapsed
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.onay")
    assert len(bars) == 20  # one approvals bar for each of the 20 days with movements
    assert all(bar.is_displayed() for bar in bars)
    assert any(bar.size["height"] > 5 for bar in bars)
    assert chart.find_elements(By.CSS_SELECTOR, "rect.ret")
    # The chart is drawn with colour from the stylesheet, so the page's CSS loaded too.
    fill = browser.execute_script(
        "return getComputedStyle(document.querySelector('#movement-chart rect.onay')).fill"
    )
    assert fill not in ("", "none", "rgb(0, 0, 0)")
    assert browser.find_element(By.ID, "rejections-7d").text.isdigit()

    # The nav leads to the consent list with the same data.
    browser.find_element(By.LINK_TEXT, "İzinler").click()
    assert "60 kayıt" in browser.find_element(By.TAG_NAME, "main").text


def test_the_header_is_compact_on_a_phone(browser):
    membership = factories.MembershipFactory(role=Role.OWNER, provider__name="Çok Uzun Adlı Ticaret ve Sanayi A.Ş.")
    factories.BrandFactory(provider=membership.provider, is_master=True)
    browser.set_window_size(390, 844)
    browser_sign_in(browser, membership.user.username)
    # The viewport of a 390x844 phone (window chrome aside, headless windows are the viewport).
    assert browser.execute_script("return window.innerWidth") <= 400
    topbar = browser.execute_script("return document.querySelector('.topbar').getBoundingClientRect().height")
    context_bottom = browser.execute_script(
        "return document.querySelector('.portal-context').getBoundingClientRect().bottom"
    )
    h1_top = browser.execute_script("return document.querySelector('main h1').getBoundingClientRect().top")
    # It was 184 px before (five rows of links); two rows of header and one line of context now.
    assert topbar <= 96, topbar
    assert context_bottom <= 140, context_bottom
    assert h1_top <= 160, h1_top
    # Nothing wider than the screen: the menu scrolls inside its own row, every item still reachable.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    last = browser.find_element(By.CSS_SELECTOR, ".topbar nav a:last-of-type")
    browser.execute_script("arguments[0].scrollIntoView()", last)
    assert last.is_displayed()
    # The logout stays on the context line, beside the provider's (cut) name.
    logout = browser.find_element(By.CSS_SELECTOR, ".portal-context > form button")
    assert logout.is_displayed() and logout.location["y"] < context_bottom
