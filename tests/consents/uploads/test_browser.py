"""A CSV upload in a real headless Chromium with a real Celery worker: progress bar, report, dashboard."""
from __future__ import annotations

import csv
import datetime as dt
import io
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from consents.models import Consent, Upload
from providers.models import Role
from tests import factories
from tests.providers.portal_data import browser_sign_in

from .helpers import csv_text, recent

pytestmark = [pytest.mark.browser, pytest.mark.celery_worker]


def test_upload_with_one_bad_row_progress_report_and_dashboard(browser, celery_worker, tmp_path: Path):
    membership = factories.MembershipFactory(role=Role.OPERATOR, provider__name="Yükleme Ticaret A.Ş.")
    brand = factories.BrandFactory(provider=membership.provider, is_master=True, name="Ana Marka")
    d = recent()
    rows = [f"0532 {100 + i:03d} 45 67;BIREYSEL;MESAJ;ONAY;{d};HS_WEB" for i in range(30)]
    rows.insert(10, f"0532 12;BIREYSEL;MESAJ;ONAY;{d};HS_WEB")  # the bad row: file line 12
    path = tmp_path / "izinler.csv"
    path.write_bytes(csv_text(*rows, header="recipient;recipientType;type;status;consentDate;source").encode())

    browser_sign_in(browser, membership.user.username)
    browser.find_element(By.LINK_TEXT, "Yüklemeler").click()
    browser.find_element(By.ID, "new-upload").click()
    browser.find_element(By.NAME, "file").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "input[name=mode][value=apply]").click()
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()

    # The detail page shows a progress bar, polls the status and shows the summary at the end.
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "upload-progress")))
    WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, "upload-summary")))
    bar = browser.find_element(By.ID, "upload-progress")
    assert bar.get_attribute("value") == "100" and bar.get_attribute("max") == "100"
    assert "%100" in browser.find_element(By.ID, "upload-progress-text").text
    assert browser.find_element(By.ID, "count-inserted").text == "30"
    assert browser.find_element(By.ID, "count-refused").text == "1"
    assert "H122" in browser.find_element(By.ID, "refusals-by-code").text
    assert "12" in browser.find_element(By.ID, "refusal-preview").text

    # Download the report with the browser's own session.
    href = browser.find_element(By.ID, "report-link").get_attribute("href")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    request = urllib.request.Request(href, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        report = list(csv.DictReader(io.StringIO(response.read().decode("utf-8-sig"))))
    assert [(r["Satır"], r["Sütun"], r["Yazılan değer"], r["Kod"]) for r in report] == [
        ("12", "recipient", "0532 12", "H122")
    ]
    assert report[0]["Açıklama"].startswith("Alıcı (recipient)")
    assert "Açıklama (English)" not in report[0]  # the download is in the page's language only (issue 13)
    assert Consent.objects.filter(brand=brand).count() == 30
    assert Upload.objects.get().uploaded_by == membership.user

    # The list shows it, and the dashboard counts the new consents.
    browser.find_element(By.LINK_TEXT, "Tüm yüklemeler").click()
    assert "izinler.csv" in browser.find_element(By.ID, "upload-list").text
    browser.find_element(By.LINK_TEXT, "Panel").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Panel"
    assert "30" in browser.find_element(By.CSS_SELECTOR, ".cards.stats").text
    assert browser.find_element(By.ID, "movement-chart").is_displayed()


def test_xlsx_upload_dry_run_then_apply_this_file_then_report(browser, celery_worker, tmp_path: Path):
    from openpyxl import Workbook

    membership = factories.MembershipFactory(role=Role.OPERATOR, provider__name="Excel Ofis Ltd.")
    brand = factories.BrandFactory(provider=membership.provider, is_master=True, name="Ofis Marka")
    hour_ago = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None, microsecond=0)
    book = Workbook()
    sheet = book.active
    sheet.append(["Alıcı", "Alıcı Tipi", "Kanal", "Durum", "İzin Tarihi", "Kaynak"])
    for i in range(20):
        sheet.append([5321000000 + i, "BİREYSEL", "SMS", "Onay", hour_ago, "Web sitesi"])
    sheet.append([5321000100, "Bireysel", "Faks", "Onay", hour_ago, "Web sitesi"])  # row 22: unknown channel
    path = tmp_path / "ofis.xlsx"
    book.save(path)

    browser_sign_in(browser, membership.user.username)
    browser.find_element(By.LINK_TEXT, "Yüklemeler").click()
    browser.find_element(By.ID, "new-upload").click()
    browser.find_element(By.NAME, "file").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "input[name=mode][value=dry_run]").click()
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.ID, "upload-summary")))
    assert browser.find_element(By.ID, "count-inserted").text == "20"
    assert not Consent.objects.filter(brand=brand).exists()

    # Straight from the dry run's result: no file to choose again.
    browser.find_element(By.ID, "apply-this-file").click()
    WebDriverWait(browser, 10).until(lambda d: Upload.objects.filter(dry_run=False).exists())
    applied = Upload.objects.get(dry_run=False)
    WebDriverWait(browser, 60).until(
        lambda d: f"/{applied.pk}/" in d.current_url and d.find_elements(By.ID, "upload-summary")
    )
    assert browser.find_element(By.ID, "count-inserted").text == "20"
    assert browser.find_element(By.ID, "count-refused").text == "1"
    preview = browser.find_element(By.ID, "refusal-preview").text
    assert "22" in preview and "Kanal" in preview and "Faks" in preview
    assert Consent.objects.filter(brand=brand).count() == 20

    href = browser.find_element(By.ID, "report-link").get_attribute("href")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(href, headers={"Cookie": cookies}), timeout=10) as response:
        report = list(csv.DictReader(io.StringIO(response.read().decode("utf-8-sig"))))
    assert [(r["Satır"], r["Sütun"], r["Yazılan değer"], r["Kod"]) for r in report] == [("22", "Kanal", "Faks", "H117")]
    assert "“Faks” bir kanal olarak tanınmadı" in report[0]["Açıklama"]
