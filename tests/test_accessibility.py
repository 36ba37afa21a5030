"""axe-core inside the browser tests' Chromium on every page state people meet — public pages, the citizen's
pages, the business portal, the admin, forms showing their errors and pages showing a success message — in
Turkish and English, on a desktop and a 390x844 phone screen: no serious or critical violation. axe-core is
vendored (tests/vendor/axe-core, MPL-2.0) and injected into each page, so CI needs no download.

Set AXE_TOTALS=<file> to append every violation node (all impacts) of the run as JSON lines: the totals by
impact in the issue's closing note come from it."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from citizens.auth import CITIZEN_SESSION_KEY
from citizens.models import AddressClaimAction, AddressClaimEvent, CitizenAddress, Complaint
from citizens.optout.services import optout_token_for
from config.demo import BUILDERS, DemoContext
from consents.models import Consent, Upload
from providers.models import Brand, Role
from tests import factories
from tests.browser_helpers import wait_for_heading
from tests.citizens.conftest import last_sms_code, make_consent

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PHONE = "+905321112233"
BLOCKING = ("serious", "critical")
DESKTOP, PHONE_SCREEN = (1280, 1000), (390, 844)


def axe_run(browser) -> list[dict]:
    """Run axe on the current page (WCAG 2.0/2.1 A and AA and axe's best practices): every violation."""
    browser.execute_script(AXE)
    browser.set_script_timeout(90)
    return browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
              nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary)}))))
          .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), count: 1, nodes: []}]));
        """
    )


def axe_violations(browser) -> list[dict]:
    """The serious and critical violations on the current page, each with where it was found."""
    return [v for v in axe_run(browser) if v["impact"] in BLOCKING]


class Audit:
    """Runs axe on each page state and keeps what blocks; `report()` lists it per page state."""

    def __init__(self, browser, language: str) -> None:
        self.browser, self.language = browser, language
        self.found: dict[str, list[dict]] = {}
        self.states: list[str] = []

    def check(self, name: str) -> None:
        browser = self.browser
        width = browser.get_window_size()["width"]
        state = f"{name} [{self.language}, {width}px]"
        self.states.append(state)
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == self.language, state
        violations = axe_run(browser)
        if totals := os.environ.get("AXE_TOTALS"):
            with open(totals, "a", encoding="utf-8") as out:
                for v in violations:
                    out.write(json.dumps({"state": state, "id": v["id"], "impact": v["impact"],
                                          "nodes": v["count"]}) + "\n")
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        if blocking:
            self.found[state] = blocking

    def visit(self, name: str, path: str, *, sizes=(DESKTOP,)) -> None:
        for size in sizes:
            self.browser.set_window_size(*size)
            self.browser.get(self.browser.live_server_url + path)
            self.check(name)
        self.browser.set_window_size(*DESKTOP)

    def submit_with_errors(self, name: str, path: str, *, fill: Callable | None = None,
                           form: str = "main form[method=post]") -> None:
        """Open `path`, optionally fill the form, and send it as it is (the browser's own checks off): the page
        that comes back shows the form's errors."""
        browser = self.browser
        browser.get(browser.live_server_url + path)
        if fill:
            fill(browser)
        old = browser.find_element(By.TAG_NAME, "html")
        browser.execute_script(
            "const f = document.querySelector(arguments[0]); f.noValidate = true;"
            "(f.querySelector('button[type=submit]:not([name])') || f.querySelector('button')).click();", form
        )
        WebDriverWait(browser, 15).until(lambda d: _stale(old))
        assert browser.find_elements(By.CSS_SELECTOR, ".errorlist li"), (name, browser.current_url)
        self.check(name)

    def report(self) -> str:
        return "\n".join(
            f"{state}: [{v['impact']}] {v['id']} — {v['help']} ({v['count']} nodes)\n    " + "\n    ".join(v["nodes"])
            for state, violations in self.found.items()
            for v in violations
        )


def _stale(element) -> bool:
    try:
        element.is_enabled()
        return False
    except Exception:  # noqa: BLE001 - StaleElementReferenceException: the next page has loaded
        return True


def _cookie(browser, name: str, value: str) -> None:
    browser.get(browser.live_server_url + "/static/css/ileti.css")  # a cheap page of the site's origin
    browser.add_cookie({"name": name, "value": value, "path": "/"})


def _signed_in(browser, language: str, *, citizen=None, user=None) -> None:
    """Give the browser a session (a citizen's or a portal/admin user's) and a language, without the forms."""
    client = Client()
    if user is not None:
        client.force_login(user)
    session = client.session
    if citizen is not None:
        session[CITIZEN_SESSION_KEY] = citizen.pk
    session.save()
    browser.delete_all_cookies()
    _cookie(browser, settings.SESSION_COOKIE_NAME, session.session_key)
    _cookie(browser, settings.LANGUAGE_COOKIE_NAME, language)


@pytest.fixture
def demo(transactional_db) -> DemoContext:
    """The demo registry (small): every kind of page has something to show."""
    ctx = DemoContext(small=True)
    for ref in BUILDERS:
        module_name, func_name = ref.split(":")
        getattr(import_module(module_name), func_name)(ctx)
    citizen = CitizenAddress.objects.get(value=PHONE).citizen
    # An address that moved to another account: the address history table has rows to scroll.
    AddressClaimEvent.objects.create(value="+905339998877", kind="phone", action=AddressClaimAction.RELEASE,
                                     citizen=citizen, reason="claimed_by_other")
    return ctx


LANGUAGES = ["tr", "en"]
PORTAL_FORM = "main form.card[method=post]"  # the page's own form, not the provider switch above it


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_and_citizen_pages_have_no_serious_or_critical_violation(browser, demo, language):
    audit = Audit(browser, language)
    brand = Brand.objects.get(brand_code=700101)
    browser.set_window_size(*DESKTOP)
    _signed_in(browser, language)

    audit.visit("home", "/", sizes=(DESKTOP, PHONE_SCREEN))
    audit.visit("page not found", "/vatandas/bu-sayfa-yok/")
    audit.visit("citizen help", "/vatandas/yardim/")
    audit.visit("citizen sign-in", "/vatandas/giris/", sizes=(DESKTOP, PHONE_SCREEN))
    audit.submit_with_errors("citizen sign-in with errors", "/vatandas/giris/")
    audit.visit("portal login", "/isletme/giris/")
    audit.submit_with_errors(
        "portal login with errors", "/isletme/giris/",
        fill=lambda b: (b.find_element(By.NAME, "username").send_keys("demo"),
                        b.find_element(By.NAME, "password").send_keys("yanlis-parola")),
    )
    audit.visit("admin login", "/admin/login/")

    # The public opt-out page, its errors, the code step, the channels and the done page.
    start = f"/ret/{brand.brand_code}/"
    audit.visit("opt-out page", start, sizes=(DESKTOP, PHONE_SCREEN))
    audit.submit_with_errors("opt-out page with errors", start)
    browser.get(browser.live_server_url + start)
    browser.find_element(By.CSS_SELECTOR, "main form input[type=text], main form input[type=tel]").send_keys(PHONE)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=code]")
    audit.check("opt-out code")
    code_url = browser.current_url.removeprefix(browser.live_server_url)
    audit.submit_with_errors("opt-out code with errors", code_url,
                             fill=lambda b: b.find_element(By.NAME, "code").send_keys("000000"))
    browser.find_element(By.NAME, "code").clear()
    browser.find_element(By.NAME, "code").send_keys(last_sms_code(PHONE))
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=channels]")
    audit.check("opt-out channels")
    browser.set_window_size(*PHONE_SCREEN)
    audit.check("opt-out channels")
    browser.set_window_size(*DESKTOP)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "main [role=status]")
    audit.check("opt-out done")
    token = optout_token_for(brand=brand, recipient=PHONE)
    audit.visit("signed opt-out link", f"/ret/b/{token}/")
    audit.visit("broken opt-out link", "/ret/b/bozuk-baglanti/")

    # The citizen, signed in.
    citizen = CitizenAddress.objects.get(value=PHONE).citizen
    _signed_in(browser, language, citizen=citizen)
    audit.visit("citizen consents", "/vatandas/", sizes=(DESKTOP, PHONE_SCREEN))
    browser.find_element(By.CSS_SELECTOR, ".brand-card [data-test=reject-brand]").click()
    browser.find_element(By.ID, "confirm-reject")
    audit.check("citizen reject confirmation")
    browser.find_element(By.ID, "confirm-reject").click()
    browser.find_element(By.CSS_SELECTOR, ".messages li")
    audit.check("citizen consents with a success message")
    browser.set_window_size(*PHONE_SCREEN)
    audit.check("citizen consents with a success message")
    browser.set_window_size(*DESKTOP)
    browser.find_element(By.CSS_SELECTOR, ".switch.off").click()
    browser.find_element(By.ID, "confirm-approve")
    audit.check("citizen re-approve confirmation")
    audit.visit("citizen addresses", "/vatandas/adresler/", sizes=(DESKTOP, PHONE_SCREEN))
    audit.submit_with_errors("citizen addresses with errors", "/vatandas/adresler/",
                             fill=lambda b: b.find_element(By.CSS_SELECTOR, "main form input[type=text], main form "
                                                           "input[type=email], main form input[type=tel]")
                             .send_keys("yanlis"), form="main section.card form")
    audit.visit("citizen add brand", "/vatandas/izinlerim/marka-ekle/?q=Anadolu")
    audit.visit("citizen data", "/vatandas/verilerim/")
    audit.visit("citizen complaints", "/vatandas/sikayet/")
    audit.visit("citizen new complaint", "/vatandas/sikayet/yeni/")
    audit.submit_with_errors("citizen new complaint with errors", "/vatandas/sikayet/yeni/")
    if complaint := Complaint.objects.filter(citizen=citizen).first():
        audit.visit("citizen complaint", f"/vatandas/sikayet/{complaint.pk}/", sizes=(DESKTOP, PHONE_SCREEN))

    assert len(audit.states) >= 30, audit.states
    assert not audit.found, audit.report()


@pytest.mark.parametrize("language", LANGUAGES)
def test_portal_and_admin_pages_have_no_serious_or_critical_violation(browser, demo, language):
    audit = Audit(browser, language)
    users = demo.objects["users"]
    brand = Brand.objects.get(brand_code=700101)
    browser.set_window_size(*DESKTOP)
    _signed_in(browser, language, user=users["demo"])

    for name, path in (
        ("dashboard", "/isletme/"),
        ("consents list", "/isletme/izinler/"),
        ("consent detail", f"/isletme/izinler/{Consent.objects.filter(brand=brand).order_by('pk').first().pk}/"),
        ("changes", "/isletme/degisiklikler/"),
        ("brands", "/isletme/markalar/"),
        ("dealers", "/isletme/bayiler/"),
        ("intermediaries", "/isletme/aracilar/"),
        ("uploads", "/isletme/yuklemeler/"),
        ("upload report", f"/isletme/yuklemeler/{Upload.objects.order_by('pk').first().pk}/"),
        ("API users", "/isletme/api-kullanicilari/"),
        ("reconciliation", "/isletme/mutabakat/"),
        ("campaign pre-check", "/isletme/on-kontrol/"),
    ):
        audit.visit(name, path, sizes=(DESKTOP, PHONE_SCREEN))
    for name, path in (
        ("consent form", "/isletme/izinler/yeni/"),
        ("brand form", "/isletme/markalar/yeni/"),
        ("dealer form", "/isletme/bayiler/yeni/"),
        ("upload form", "/isletme/yuklemeler/yeni/"),
    ):
        audit.visit(name, path)
        audit.submit_with_errors(f"{name} with errors", path, form=PORTAL_FORM)
    audit.submit_with_errors("API user form with errors", "/isletme/api-kullanicilari/", form=PORTAL_FORM)
    audit.submit_with_errors("campaign pre-check with errors", "/isletme/on-kontrol/", form=PORTAL_FORM)
    # A success message in the portal: a new API user.
    browser.get(browser.live_server_url + "/isletme/api-kullanicilari/")
    browser.find_element(By.CSS_SELECTOR, "main form.card input[type=text]").send_keys("erisim-test")
    browser.find_element(By.CSS_SELECTOR, "main form.card button[type=submit]").click()
    browser.find_element(By.ID, "new-api-password")
    audit.check("API users with a success message")
    # A viewer on a page its role does not allow: the portal's 403.
    viewer = users["viewer"]
    _signed_in(browser, language, user=viewer)
    audit.visit("portal forbidden", "/isletme/izinler/yeni/")

    _signed_in(browser, language, user=users["admin"])
    consent = Consent.objects.order_by("pk").first()
    audit.visit("admin index", "/admin/")
    audit.visit("admin consent list", "/admin/consents/consent/")
    audit.visit("admin consent change", f"/admin/consents/consent/{consent.pk}/change/")

    assert len(audit.states) >= 30, audit.states
    assert not audit.found, audit.report()


def test_the_axe_harness_reports_what_it_should(browser):
    """The checks above can fail: an image without a text alternative on a real page is a critical violation."""
    browser.get(browser.live_server_url + "/")
    assert axe_violations(browser) == []
    browser.execute_script("const i = document.createElement('img'); i.src = '/x.png'; document.body.append(i);")
    assert [v["id"] for v in axe_violations(browser)] == ["image-alt"]


# --- the keyboard alone -----------------------------------------------------------------------------------


@pytest.fixture
def registry(db):
    provider = factories.ProviderFactory(name="Deniz Market A.Ş.")
    brand = factories.BrandFactory(provider=provider, name="Deniz Market", is_master=True)
    other = factories.BrandFactory(name="Yıldız Giyim")
    membership = factories.MembershipFactory(provider=provider, role=Role.OWNER)
    make_consent(other, PHONE, "MESAJ")
    make_consent(brand, PHONE, "MESAJ")
    make_consent(brand, PHONE, "ARAMA", status="RET", source="IYS_WEB")
    return brand, membership


def _tab_to(browser, predicate, *, limit: int = 60) -> int:
    """Press Tab until the focused element satisfies `predicate` (the keyboard is all this test uses); the
    number of presses it took."""
    for presses in range(limit):
        if predicate(browser.switch_to.active_element):
            return presses
        ActionChains(browser).send_keys(Keys.TAB).perform()
    raise AssertionError("never reached by Tab")


def _focused(browser) -> str:
    return browser.execute_script("return document.activeElement && document.activeElement.id")


def factories_citizen():
    from citizens.models import Citizen

    return Citizen.objects.create()


RING_CONTRAST = """
// The focused element's ring: its colour against the surface just outside the element, where the ring is
// drawn (found by hit-testing that point, so a link over the blue header is judged against the header).
const el = document.activeElement, style = getComputedStyle(el);
if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2) return {id: el.id, tag: el.tagName, ratio: 0};
const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
const rect = el.getBoundingClientRect(), gap = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth) / 2;
let x = rect.left - gap, y = rect.top + rect.height / 2;
if (x < 1) x = rect.right + gap;
if (y < 1 || y > innerHeight - 1) y = Math.min(Math.max(rect.top - gap, 1), innerHeight - 1);
let under = document.elementsFromPoint(x, y).find(n => n !== el && !el.contains(n)) || document.documentElement;
let surface = null;
for (let n = under; n && !surface; n = n.parentElement) {
  const c = rgb(getComputedStyle(n).backgroundColor);
  if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) surface = c;
}
surface = surface || [255, 255, 255];
const a = lum(rgb(style.outlineColor)), b = lum(surface);
return {id: el.id, tag: el.tagName, text: (el.innerText || el.value || '').slice(0, 40), ring: style.outlineColor,
        surface: 'rgb(' + surface.slice(0, 3).join(', ') + ')', ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
"""


def ring(browser) -> dict:
    return browser.execute_script(RING_CONTRAST)


def _weak_rings(browser, *, limit: int = 80) -> list[dict]:
    """Tab through the whole page from the top: every stop whose focus ring is under 3:1 (or missing)."""
    # Start at the page's first stop (the skip link) with the keyboard's modality: Tab, then Shift+Tab back.
    browser.execute_script("document.querySelector('a.skip').focus(); window.scrollTo(0, 0)")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    weak, seen = [], set()
    for step in range(limit):
        if step:
            ActionChains(browser).send_keys(Keys.TAB).perform()
        key = browser.execute_script(
            "const e = document.activeElement; return e === document.body ? null :"
            " e.outerHTML.slice(0, 200) + [...e.parentNode.children].indexOf(e)")
        if key is None or key in seen:
            break
        seen.add(key)
        found = ring(browser)
        if found["ratio"] < 3:
            weak.append(found)
    assert len(seen) >= 3, seen
    return weak


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_focus_ring_has_3_to_1_contrast_at_every_stop(browser, registry, language):
    brand, membership = registry
    citizen = CitizenAddress.objects.create(
        citizen=factories_citizen(), value=PHONE, kind="phone", verified_at=timezone.now()).citizen
    weak: dict[str, list[dict]] = {}

    def walk(name: str, path: str | None = None) -> None:
        if path:
            browser.get(browser.live_server_url + path)
        for size in (DESKTOP, PHONE_SCREEN):
            browser.set_window_size(*size)
            if found := _weak_rings(browser):
                weak[f"{name} {size[0]}px"] = found

    _signed_in(browser, language)
    walk("home", "/")
    walk("page not found", "/yok/")
    browser.get(browser.live_server_url + f"/ret/{brand.brand_code}/")
    browser.execute_script("const f = document.querySelector('main form'); f.noValidate = true;"
                           "f.querySelector('button[type=submit]').click();")
    browser.find_element(By.CSS_SELECTOR, ".errorlist li")
    walk("opt-out page with errors")
    _signed_in(browser, language, citizen=citizen)
    browser.get(browser.live_server_url + "/vatandas/")
    browser.find_element(By.CSS_SELECTOR, f"#marka-{brand.pk} [data-test=reject-brand]").click()
    browser.find_element(By.ID, "confirm-reject").click()
    browser.find_element(By.CSS_SELECTOR, ".messages li")
    walk("citizen consents with a message")
    _signed_in(browser, language, user=membership.user)
    browser.get(browser.live_server_url + "/isletme/izinler/yeni/")
    browser.execute_script("const f = document.querySelector(arguments[0]); f.noValidate = true;"
                           "f.querySelector('button[type=submit]').click();", PORTAL_FORM)
    browser.find_element(By.CSS_SELECTOR, ".errorlist li")
    walk("portal consent form with errors")
    walk("portal consents", "/isletme/izinler/")

    assert not weak, "\n".join(f"{page}: {stop}" for page, stops in weak.items() for stop in stops)


def test_the_citizen_reject_flow_with_the_keyboard_only(browser, registry):
    """Sign in, reject one channel and land back on the changed brand card, with nothing but the keyboard."""
    brand, _membership = registry
    onay = brand.consents.get(channel="MESAJ")
    browser.set_window_size(*PHONE_SCREEN)
    browser.get(browser.live_server_url + "/vatandas/giris/")
    keys = ActionChains(browser)
    # The phone field has focus when the page opens; type and press Enter.
    assert _focused(browser) == "id_address"
    keys.send_keys("0532 111 22 33", Keys.ENTER).perform()
    wait_for_heading(browser, "Kodu girin")
    assert _focused(browser) == "id_code"
    ActionChains(browser).send_keys(last_sms_code(PHONE), Keys.ENTER).perform()
    wait_for_heading(browser, "İzinlerim")

    # Tab to the SMS switch: its name is what pressing it does, in Turkish; its ring shows at 3:1 or more.
    _tab_to(browser, lambda el: el.get_attribute("id") == f"sw-{onay.pk}")
    switch = browser.switch_to.active_element
    assert switch.accessible_name == "Deniz Market SMS (kısa mesaj) iznini reddet"
    assert ring(browser)["ratio"] >= 3
    ActionChains(browser).send_keys(Keys.SPACE).perform()

    # The confirmation starts on its question; the next Tab is "Evet, reddet".
    wait_for_heading(browser, "Reddi onaylayın")
    question = browser.switch_to.active_element
    assert question.tag_name == "h1" and "Reddi onaylayın" in question.text
    assert _tab_to(browser, lambda el: el.get_attribute("id") == "confirm-reject") == 1
    ActionChains(browser).send_keys(Keys.ENTER).perform()

    # Back on the consents page, focus is on the card that changed (not at the top of the page).
    wait_for_heading(browser, "İzinlerim")
    WebDriverWait(browser, 5).until(lambda b: _focused(b) == f"marka-{brand.pk}")
    assert browser.current_url.endswith(f"#marka-{brand.pk}")
    assert ring(browser)["ratio"] >= 3
    assert "1 izin reddedildi" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    onay.refresh_from_db()
    assert onay.status == "RET" and onay.source == "IYS_WEB"
    switch = browser.find_element(By.ID, f"sw-{onay.pk}")
    assert switch.get_attribute("data-state") == "off" and "İzin ver" in switch.text
    assert switch.accessible_name == "İzin ver: Deniz Market SMS (kısa mesaj)"
    # The next Tab stays in that card: its first control ("approve all again", two channels are off now).
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.execute_script(
        "return document.activeElement.closest('section.brand-card').id") == f"marka-{brand.pk}"
    # Reloading the page does not move focus again: the focus is a one-time answer to the change.
    browser.refresh()
    wait_for_heading(browser, "İzinlerim")
    assert _focused(browser) != f"marka-{brand.pk}"


def test_an_approval_returns_to_its_card_too(browser, registry):
    brand, _membership = registry
    ret = brand.consents.get(channel="ARAMA")
    citizen = CitizenAddress.objects.create(
        citizen=factories_citizen(), value=PHONE, kind="phone", verified_at=timezone.now()).citizen
    _signed_in(browser, "en", citizen=citizen)
    browser.get(browser.live_server_url + "/vatandas/")
    switch = browser.find_element(By.ID, f"sw-{ret.pk}")
    assert switch.accessible_name == "Allow Voice call for Deniz Market"
    switch.click()
    wait_for_heading(browser, "Confirm")
    assert browser.switch_to.active_element.tag_name == "h1"
    browser.find_element(By.ID, "confirm-approve").click()
    WebDriverWait(browser, 10).until(lambda b: _focused(b) == f"marka-{brand.pk}")
