"""Under the Content-Security-Policy, in a real Chromium: the upload page, the admin and the API docs still work
and the browser reports no violation (a listener installed before any page script records them)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from consents.models import Upload, UploadState
from providers.models import Role
from tests import factories
from tests.consents.uploads.helpers import csv_text, make_upload, recent
from tests.providers.portal_data import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@pytest.fixture
def watched(browser):
    """The browser, recording CSP violations on every document it loads."""
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    return browser


def _violations(browser) -> list[str]:
    return browser.execute_script("return window.__cspViolations || [];")


def _open(browser, path: str) -> None:
    browser.get(browser.live_server_url + path)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_the_upload_page_polls_its_progress_with_no_violation(watched):
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    upload = make_upload(brand=brand, user=membership.user, content=csv_text(
        f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB"))
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.RUNNING, rows_estimated=1000, rows_processed=0)
    browser_sign_in(watched, membership.user.username)
    _open(watched, f"/isletme/yuklemeler/{upload.pk}/")
    assert watched.find_element(By.ID, "upload-progress").get_attribute("value") == "0"
    # The page's script (a static file now) polls the status: progress made by the worker shows up.
    Upload.objects.filter(pk=upload.pk).update(rows_processed=500, bytes_processed=upload.size // 2)
    WebDriverWait(watched, 10).until(lambda d: "500 / ~1.000" in d.find_element(By.ID, "upload-progress-text").text)
    assert watched.find_element(By.ID, "upload-progress").get_attribute("value") != "0"
    _open(watched, "/isletme/yuklemeler/yeni/")
    assert watched.find_element(By.NAME, "file")
    assert _violations(watched) == []


def test_the_language_switcher_submits_without_inline_script(watched):
    _open(watched, "/")
    Select(watched.find_element(By.ID, "lang-select")).select_by_value("en")
    WebDriverWait(watched, 10).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert _violations(watched) == []


def test_the_admin_and_the_api_docs_work_with_no_violation(watched, live_server):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    factories.BrandFactory(name="Dışa Aktarılan Marka")
    factories.DeclarationPeriodFactory()
    _open(watched, "/admin/login/")
    watched.find_element(By.NAME, "username").send_keys(admin.username)
    watched.find_element(By.NAME, "password").send_keys("parola-123456")
    watched.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(watched, 10).until(ec.presence_of_element_located((By.ID, "content-main")))
    seen: dict[str, list[str]] = {}
    for path in ("/admin/", "/admin/consents/declarationperiod/", "/admin/providers/brand/",
                 "/admin/providers/brand/add/", "/admin/providers/brand/export/"):
        _open(watched, path)
        seen[path] = _violations(watched)
    # The calendar draws its bars; the export page's "select all" toggle (a hashed handler) still works.
    _open(watched, "/admin/consents/declarationperiod/")
    assert watched.find_elements(By.CSS_SELECTOR, ".period-track rect.bar-review")
    _open(watched, "/admin/providers/brand/export/")
    toggle = watched.find_element(By.CSS_SELECTOR, "input.select-toggle")
    field = watched.find_element(By.CSS_SELECTOR, ".selectable-field-export-row input[type=checkbox]")
    toggle.click()
    WebDriverWait(watched, 5).until(lambda d: not field.is_selected())
    seen["export toggle"] = _violations(watched)
    # Swagger UI (static files of our own) renders the API's title.
    _open(watched, "/api/docs")
    WebDriverWait(watched, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#swagger-ui .info .title")))
    seen["/api/docs"] = _violations(watched)
    assert seen == {path: [] for path in seen}
