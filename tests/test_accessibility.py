"""axe-core inside the browser tests' Chromium on every page type, in Turkish and English: no serious or
critical violation. axe-core is vendored (tests/vendor/axe-core, MPL-2.0) and injected into each page."""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from providers.models import Role
from tests import factories
from tests.browser_helpers import wait_for_heading
from tests.citizens.conftest import last_sms_code, make_consent
from tests.providers.portal_data import browser_sign_in

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PHONE = "+905321112233"
BLOCKING = ("serious", "critical")


def axe_violations(browser) -> list[dict]:
    """Run axe on the current page; the serious and critical violations, each with where it was found."""
    browser.execute_script(AXE)
    browser.set_script_timeout(60)
    result = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary)}))))
          .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
        """
    )
    return [v for v in result if v["impact"] in BLOCKING]


def _set_language(browser, language: str) -> None:
    browser.get(browser.live_server_url + "/")
    browser.add_cookie({"name": "django_language", "value": language, "path": "/"})


@pytest.fixture
def registry():
    provider = factories.ProviderFactory(name="Deniz Market A.Ş.")
    brand = factories.BrandFactory(provider=provider, name="Deniz Market", is_master=True)
    membership = factories.MembershipFactory(provider=provider, role=Role.OWNER)
    make_consent(brand, PHONE, "MESAJ")
    make_consent(brand, PHONE, "ARAMA", status="RET", source="IYS_WEB")
    return brand, membership


@pytest.mark.parametrize("language", ["tr", "en"])
def test_every_page_type_has_no_serious_or_critical_violation(browser, registry, language):
    brand, membership = registry
    browser.set_window_size(1280, 1000)
    _set_language(browser, language)
    found: dict[str, list[dict]] = {}

    def check(name: str) -> None:
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language, name
        violations = axe_violations(browser)
        if violations:
            found[name] = violations

    for name, path in (
        ("home", "/"),
        ("citizen sign-in", "/vatandas/giris/"),
        ("opt-out page", f"/ret/{brand.brand_code}/"),
        ("portal login", "/isletme/giris/"),
        ("admin login", "/admin/login/"),
    ):
        browser.get(browser.live_server_url + path)
        check(name)

    # Citizen: sign in with the code, then the consents page and the two confirmation steps.
    browser.get(browser.live_server_url + "/vatandas/giris/")
    browser.find_element(By.ID, "id_address").send_keys(PHONE)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.find_element(By.ID, "id_code")
    check("citizen code")
    browser.find_element(By.ID, "id_code").send_keys(last_sms_code(PHONE))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_heading(browser, "İzinlerim" if language == "tr" else "My consents")
    check("citizen consents")
    browser.find_element(By.CSS_SELECTOR, "[role=switch][aria-checked=true]").click()
    browser.find_element(By.ID, "confirm-reject")
    check("citizen reject confirmation")
    browser.get(browser.live_server_url + "/vatandas/")
    browser.find_element(By.CSS_SELECTOR, "[role=switch][aria-checked=false]").click()
    browser.find_element(By.ID, "confirm-approve")
    check("citizen re-approve confirmation")

    # Business portal.
    browser_sign_in(browser, membership.user.username)
    for name, path in (
        ("dashboard", "/isletme/"),
        ("consents list", "/isletme/izinler/"),
        ("consent form", "/isletme/izinler/yeni/"),
        ("upload page", "/isletme/yuklemeler/yeni/"),
    ):
        browser.get(browser.live_server_url + path)
        assert browser.current_url.endswith(path), (name, browser.current_url)  # the page itself, not a redirect
        check(name)

    report = "\n".join(
        f"{page}: [{v['impact']}] {v['id']} — {v['help']}\n    " + "\n    ".join(v["nodes"])
        for page, violations in found.items()
        for v in violations
    )
    assert not found, report


def test_the_axe_harness_reports_what_it_should(browser):
    """The check above can fail: an image without a text alternative on a real page is a critical violation."""
    browser.get(browser.live_server_url + "/")
    assert axe_violations(browser) == []
    browser.execute_script("const i = document.createElement('img'); i.src = '/x.png'; document.body.append(i);")
    assert [v["id"] for v in axe_violations(browser)] == ["image-alt"]


def _tab_to(browser, predicate, *, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies `predicate` (the keyboard is all this test uses)."""
    for _ in range(limit):
        if predicate(browser.switch_to.active_element):
            return
        ActionChains(browser).send_keys(Keys.TAB).perform()
    raise AssertionError("never reached by Tab")


def test_the_citizen_reject_flow_with_the_keyboard_only(browser, registry):
    brand, _membership = registry
    onay = brand.consents.get(channel="MESAJ")
    browser.set_window_size(390, 844)
    browser.get(browser.live_server_url + "/vatandas/giris/")
    keys = ActionChains(browser)
    # The phone field has focus when the page opens; type and press Enter.
    assert browser.switch_to.active_element.get_attribute("id") == "id_address"
    keys.send_keys("0532 111 22 33", Keys.ENTER).perform()
    wait_for_heading(browser, "Kodu girin")
    assert browser.switch_to.active_element.get_attribute("id") == "id_code"
    ActionChains(browser).send_keys(last_sms_code(PHONE), Keys.ENTER).perform()
    wait_for_heading(browser, "İzinlerim")

    # Tab to the SMS switch; it shows where focus is, and Space presses it.
    _tab_to(browser, lambda el: el.get_attribute("id") == f"sw-{onay.pk}")
    assert browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != "none"
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    wait_for_heading(browser, "Reddi onaylayın")
    # Tab to "Evet, reddet" and press Enter.
    _tab_to(browser, lambda el: el.get_attribute("id") == "confirm-reject")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_for_heading(browser, "İzinlerim")
    assert "1 izin reddedildi" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    onay.refresh_from_db()
    assert onay.status == "RET" and onay.source == "IYS_WEB"
    switch = browser.find_element(By.ID, f"sw-{onay.pk}")
    assert switch.get_attribute("aria-checked") == "false" and "İzin ver" in switch.text
