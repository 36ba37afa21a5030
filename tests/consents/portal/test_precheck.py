"""Campaign pre-check: a list (CSV or .xlsx) split into may-send / may-not-send with the reason per row, the
same answers as may-I-send, as a background job with a progress page; nothing kept but the audit row and the
result file until it expires or is deleted."""
from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from openpyxl import Workbook

from consents.actors import Actor
from consents.models import CampaignCheck, CheckState, Consent, RecipientType, Source, Status, Via
from consents.portal.precheck import prechecks_expire
from consents.portal.tasks import run_campaign_check, sweep_campaign_checks
from consents.selectors import can_send_many
from consents.services import consent_record
from providers.models import Role
from tests import factories
from tests.consents.test_spreadsheets import EVIL

pytestmark = pytest.mark.django_db


def _record(brand, recipient, status, channel="MESAJ", recipient_type=RecipientType.BIREYSEL, source=Source.HS_WEB,
            actor=None):
    consent_record(
        brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel, status=status,
        source=source, consent_date=timezone.now() - dt.timedelta(hours=1),
        actor=actor or Actor.provider_user(factories.UserFactory()), via=Via.WEB,
    )


def _on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def _start(client, brand, content: bytes, name: str, **fields) -> CampaignCheck:
    data = {"brand": brand.brand_code, "channel": "MESAJ", "recipient_type": "BIREYSEL",
            "file": SimpleUploadedFile(name, content), **fields}
    response = client.post("/isletme/on-kontrol/", data)
    assert response.status_code == 302, response.content[:300]
    audit = CampaignCheck.objects.order_by("-id").first()
    assert response["Location"] == f"/isletme/on-kontrol/{audit.pk}/"
    return audit


def _read_zip(client, audit: CampaignCheck):
    response = client.get(f"/isletme/on-kontrol/{audit.pk}/sonuc/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="on-kontrol-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    read = lambda n: list(csv.reader(io.StringIO(archive.read(n).decode())))
    return read("gonderilebilir.csv"), read("gonderilemez.csv"), archive.read("ozet.txt").decode()


def _post(client, brand, content: bytes, name: str, **fields):
    """Start a check, let the queued job run (eager tasks: after the commit), read the result."""
    with _on_commit():
        audit = _start(client, brand, content, name, **fields)
    audit.refresh_from_db()
    assert audit.state == CheckState.DONE, audit.error_message
    return _read_zip(client, audit)


def test_a_csv_list_is_split_with_reasons_matching_may_i_send(client, owner, brand):
    _record(brand, "+905320000001", Status.ONAY)
    _record(brand, "+905320000002", Status.ONAY)
    _record(brand, "+905320000002", Status.RET, source=Source.HS_KARAR)
    client.force_login(owner)
    listing = "Telefon\n0532 000 00 01\n+905320000002\n05320000003\nnumara değil\n\n"
    allowed, refused, summary = _post(client, brand, listing.encode(), "liste.csv")
    # E.164's "+" would start a formula: the leading quote every export of ours writes (consents/spreadsheets.py).
    assert allowed[1:] == [["2", "0532 000 00 01", "'+905320000001", "ONAY", "Onaylı"]]
    assert [(r[0], r[3]) for r in refused[1:]] == [("3", "RET"), ("4", "NO_RECORD"), ("5", "INVALID")]
    assert "Satır: 4" in summary and "Gönderilebilir: 1" in summary
    # The same answers as may-I-send.
    answers = can_send_many(brand=brand, recipients=["+905320000001", "+905320000002", "+905320000003"],
                            recipient_type="BIREYSEL", channel="MESAJ")
    assert {r: (a.allowed, a.reason.value) for r, a in answers.items()} == {
        "+905320000001": (True, "ONAY"), "+905320000002": (False, "RET"), "+905320000003": (False, "NO_RECORD")
    }
    audit = CampaignCheck.objects.get()
    assert (audit.rows, audit.allowed, audit.refused, audit.invalid, audit.user) == (4, 1, 3, 1, owner)
    assert audit.finished_at is not None and Consent.objects.count() == 2  # nothing else stored


def test_an_xlsx_list_and_tacir_without_a_record(client, owner, brand):
    _record(brand, "+905330000001", Status.ONAY, recipient_type=RecipientType.TACIR)
    book = Workbook()
    sheet = book.active
    for value in ("alıcı", 905330000001, "0533 000 00 02"):
        sheet.append([value])
    content = io.BytesIO()
    book.save(content)
    client.force_login(owner)
    allowed, refused, _ = _post(client, brand, content.getvalue(), "liste.xlsx", recipient_type="TACIR")
    assert [(r[2], r[3]) for r in allowed[1:]] == [("'+905330000001", "ONAY"), ("'+905330000002", "TACIR_NO_RECORD")]
    assert refused[1:] == []


def test_only_own_brands_and_the_page_lists_recent_checks(client, owner, brand):
    other = factories.BrandFactory()
    client.force_login(owner)
    r = client.post("/isletme/on-kontrol/", {"brand": other.brand_code, "channel": "MESAJ",
                                             "recipient_type": "BIREYSEL",
                                             "file": SimpleUploadedFile("x.csv", b"+905320000001\n")})
    assert r.status_code == 200 and "brand" in r.context["form"].errors
    assert not CampaignCheck.objects.exists()
    _post(client, brand, b"+905320000001\n", "x.csv")
    page = client.get("/isletme/on-kontrol/").content.decode()
    assert "x.csv" in page and 'id="recent-prechecks"' in page


def test_a_citizens_own_rejection_is_named_with_its_moment(client, owner, brand):
    _record(brand, "+905370000001", Status.ONAY)
    _record(brand, "+905370000001", Status.RET, source=Source.IYS_WEB, actor=Actor.citizen(None, "Vatandaş"))
    client.force_login(owner)
    _allowed, refused, _ = _post(client, brand, b"+905370000001\n", "x.csv")
    assert refused[1][3] == "CITIZEN_REJECTED" and "reddetti" in refused[1][4]


def test_a_viewer_may_check_too(client, provider, brand):
    viewer = factories.MembershipFactory(provider=provider, role=Role.VIEWER).user
    client.force_login(viewer)
    _allowed, refused, _ = _post(client, brand, b"+905320000009\n", "x.csv")
    assert refused[1][3] == "NO_RECORD"


def test_a_list_entry_written_like_a_formula_comes_back_inert(client, owner, brand):
    client.force_login(owner)
    listing = "alıcı\n" + '"' + EVIL.replace('"', '""') + '"' + "\n=veli@example.com\n"
    _allowed, refused, _ = _post(client, brand, listing.encode(), "liste.csv", channel="EPOSTA")
    assert [r[1] for r in refused[1:]] == ["'" + EVIL, "'=veli@example.com"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in refused[1:] for cell in row)


def test_the_job_page_follows_progress_and_the_list_is_gone_when_it_ends(client, owner, brand):
    _record(brand, "+905320000001", Status.ONAY)
    client.force_login(owner)
    listing = "alıcı\n" + "".join(f"+9053200{n:05d}\n" for n in range(1, 2501))
    audit = _start(client, brand, listing.encode(), "büyük liste.csv")  # queued, not run yet
    assert audit.state == CheckState.QUEUED and audit.rows_estimated == 2501 and audit.source
    stored = Path(audit.source.path)
    assert stored.exists() and "büyük" not in stored.name  # an unguessable name, not the business's
    page = client.get(f"/isletme/on-kontrol/{audit.pk}/").content.decode()
    assert "Sırada" in page and 'id="upload-progress"' in page and "upload-progress.js" in page
    status = client.get(f"/isletme/on-kontrol/{audit.pk}/durum/").json()
    assert (status["state"], status["finished"], status["percent"], status["result_url"]) == ("QUEUED", False, 0, None)
    # The worker's progress, as the page polls it.
    CampaignCheck.objects.filter(pk=audit.pk).update(state=CheckState.RUNNING, rows=1000)
    status = client.get(f"/isletme/on-kontrol/{audit.pk}/durum/").json()
    assert status["percent"] == 39 and status["progress_text"] == "%39 · 1.000 / ~2.501 satır"
    # A second delivery of the task while that worker is busy leaves the job to it...
    run_campaign_check(audit.pk)
    assert CampaignCheck.objects.get(pk=audit.pk).state == CheckState.RUNNING
    # ...and once the worker has been silent for the sweep's time (it died), the job runs again from the start.
    CampaignCheck.objects.filter(pk=audit.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=10))
    run_campaign_check(audit.pk)
    audit.refresh_from_db()
    assert (audit.state, audit.rows, audit.allowed, audit.refused) == (CheckState.DONE, 2500, 1, 2499)
    assert not audit.source and not stored.exists()  # the list itself is not kept
    status = client.get(f"/isletme/on-kontrol/{audit.pk}/durum/").json()
    assert status["finished"] and status["percent"] == 100 and status["result_url"] == f"/isletme/on-kontrol/{audit.pk}/sonuc/"
    page = client.get(f"/isletme/on-kontrol/{audit.pk}/").content.decode()
    assert 'id="result-link"' in page and "tarihinde silinecek" in page and 'id="count-allowed">1<' in page
    allowed, refused, _summary = _read_zip(client, audit)
    assert len(allowed) == 2 and len(refused) == 2500
    # Running the task again (a redelivery) changes nothing.
    run_campaign_check(audit.pk)
    assert CampaignCheck.objects.get(pk=audit.pk).result.name == audit.result.name


def test_a_member_deletes_the_result_and_the_audit_row_stays(client, owner, brand, provider):
    client.force_login(owner)
    _post(client, brand, b"+905320000001\n", "x.csv")
    audit = CampaignCheck.objects.get()
    result = Path(audit.result.path)
    assert result.exists()
    assert client.post(f"/isletme/on-kontrol/{audit.pk}/sonucu-sil/").status_code == 302
    audit.refresh_from_db()
    assert not audit.result and not result.exists() and audit.result_deleted_by == owner
    assert client.get(f"/isletme/on-kontrol/{audit.pk}/sonuc/").status_code == 404
    page = client.get(f"/isletme/on-kontrol/{audit.pk}/").content.decode()
    assert f"Sonuç dosyasını {owner.get_username()}" in page and "sildi" in page
    assert audit.rows == 1  # the audit row keeps its counts


def test_results_expire_after_the_keeping_time(client, owner, brand, settings):
    settings.PRECHECK_RESULT_KEEP_HOURS = 24
    client.force_login(owner)
    _post(client, brand, b"+905320000001\n", "x.csv")
    audit = CampaignCheck.objects.get()
    result = Path(audit.result.path)
    assert prechecks_expire(now=audit.finished_at + dt.timedelta(hours=23)) == 0 and result.exists()
    assert prechecks_expire(now=audit.finished_at + dt.timedelta(hours=25)) == 1 and not result.exists()
    audit.refresh_from_db()
    assert not audit.result and audit.result_deleted_at and audit.result_deleted_by is None
    page = client.get(f"/isletme/on-kontrol/{audit.pk}/").content.decode()
    assert "saklama süresi dolduğu için" in page


def test_the_sweep_queues_a_lost_job_again_and_expires_results(client, owner, brand):
    client.force_login(owner)
    audit = _start(client, brand, b"+905320000001\n", "x.csv")  # its task was lost: never ran
    CampaignCheck.objects.filter(pk=audit.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=10))
    assert sweep_campaign_checks(older_than_s=300) == {"expired": 0, "requeued": 1}
    assert CampaignCheck.objects.get(pk=audit.pk).state == CheckState.DONE


def test_another_providers_check_is_a_404(client, owner, brand):
    client.force_login(owner)
    _post(client, brand, b"+905320000001\n", "x.csv")
    audit = CampaignCheck.objects.get()
    stranger = factories.MembershipFactory().user
    client.force_login(stranger)
    for suffix in ("", "durum/", "sonuc/"):
        assert client.get(f"/isletme/on-kontrol/{audit.pk}/{suffix}").status_code == 404
    assert client.post(f"/isletme/on-kontrol/{audit.pk}/sonucu-sil/").status_code == 404
    assert CampaignCheck.objects.get().result


def test_the_result_is_written_in_the_requesters_language(client, owner, brand, settings):
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _allowed, refused, summary = _post(client, brand, b"+905320000009\n", "x.csv")
    assert refused[0] == ["row", "recipient (as typed)", "recipient", "reason code", "reason"]
    assert refused[1][3:] == ["NO_RECORD", "No approval on record"] and "Rows: 1" in summary
    page = client.get(f"/isletme/on-kontrol/{CampaignCheck.objects.get().pk}/").content.decode()
    assert "Download the result (ZIP)" in page and "Sonucu indir" not in page


def test_a_broken_xlsx_fails_with_a_message_and_the_list_is_deleted(client, owner, brand):
    client.force_login(owner)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    with _on_commit():
        audit = _start(client, brand, broken.getvalue(), "liste.xlsx")
    audit.refresh_from_db()
    assert audit.state == CheckState.FAILED and not audit.source and not audit.result
    page = client.get(f"/isletme/on-kontrol/{audit.pk}/").content.decode()
    assert "Dosya okunamadı" in page and 'id="result-link"' not in page


@pytest.mark.celery_worker
def test_a_real_worker_runs_the_check_and_the_page_gets_the_result(client, celery_worker):
    membership = factories.MembershipFactory(role=Role.VIEWER)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    _record(brand, "+905320000001", Status.ONAY)
    client.force_login(membership.user)
    response = client.post("/isletme/on-kontrol/", {
        "brand": brand.brand_code, "channel": "MESAJ", "recipient_type": "BIREYSEL",
        "file": SimpleUploadedFile("liste.csv", b"alici\n+905320000001\n05320000002\n"),
    })
    assert response.status_code == 302
    status_url = response["Location"] + "durum/"
    deadline = time.monotonic() + 60
    while not (status := client.get(status_url).json())["finished"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert (status["state"], status["rows"], status["allowed"], status["refused"]) == ("DONE", 2, 1, 1)
    result = client.get(status["result_url"])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(result.streaming_content)))
    assert "Gönderilebilir: 1" in archive.read("ozet.txt").decode()
    assert not CampaignCheck.objects.get().source
