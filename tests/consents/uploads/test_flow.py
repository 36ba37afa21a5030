"""The upload flow for people: Excel files, templates, "apply this file" after a dry run, progress words."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from consents.models import Consent, ConsentEvent, Upload, UploadState
from consents.uploads.services import upload_process
from providers.models import Role
from tests import factories

from .helpers import csv_text, make_upload, recent
from .test_engine import report_rows

# Also run on the embedded default's SQLite by scripts/test (marker `sqlite`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


@pytest.fixture
def operator(client):
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    return membership, brand


def _post(client, brand, name: str, content: bytes, mode: str = "dry_run"):
    return client.post(reverse("portal:upload_new"), {
        "brand": str(brand.brand_code), "mode": mode, "file": SimpleUploadedFile(name, content),
    })


def xlsx(rows: list[list], *, extra_sheet: bool = True) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        other = book.create_sheet("Notlar")
        other.append(["Alıcı", "Alıcı tipi", "Kanal", "Durum"])
        other.append(["bu sayfa okunmaz", "x", "y", "z"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_real_cells_first_sheet_only_empty_rows_skipped(client, operator):
    _, brand = operator
    hour_ago = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None, microsecond=0)
    content = xlsx([
        ["Alıcı", "Alıcı Tipi", "Kanal", "Durum", "İzin Tarihi", "Kaynak"],
        [5321112233, "BİREYSEL", "SMS", "Onay", hour_ago, "Web sitesi"],
        [905321112234, "Bireysel", "Mesaj", "onay", hour_ago, "HS_WEB"],
        [None, None, None, None, None, None],
        ["ali@example.com", "Tacir", "E-posta", "Onay", hour_ago.date(), "E-posta"],
        [],
        ["0532 12", "Bireysel", "SMS", "Onay", hour_ago, "Web sitesi"],
    ])
    response = _post(client, brand, "izinler.xlsx", content, mode="apply")
    assert response.status_code == 302
    upload = Upload.objects.get()
    assert upload.original.name.endswith(".xlsx") and upload.state == UploadState.DONE
    assert (upload.inserted, upload.refused, upload.rows_processed) == (3, 1, 4)
    stored = Consent.objects.get(recipient="+905321112233")
    assert timezone.localtime(stored.consent_date).replace(tzinfo=None) == hour_ago
    assert Consent.objects.filter(recipient="+905321112234").exists()
    assert Consent.objects.get(channel="EPOSTA").recipient_type == "TACIR"
    rows = report_rows(upload)
    # The sheet's own row number, the person's column name, the cell as typed.
    assert [(r["line"], r["field"], r["value"], r["code"]) for r in rows] == [("7", "Alıcı", "0532 12", "H122")]


def test_a_broken_xlsx_is_refused_on_the_form(client, operator):
    _, brand = operator
    content = xlsx([["Alıcı", "Alıcı tipi", "Kanal", "Durum"], ["0532 111 22 33", "Bireysel", "SMS", "Onay"]])
    response = _post(client, brand, "izinler.xlsx", content[: len(content) // 2])
    assert response.status_code == 200
    assert "Excel (.xlsx) çalışma kitabı değil" in response.context["form"].errors["file"][0]
    empty = xlsx([["Alıcı", "Alıcı tipi", "Kanal", "Durum"]], extra_sheet=False)
    response = _post(client, brand, "bos.xlsx", empty)
    assert "Dosya boş" in response.context["form"].errors["file"][0]
    assert not Upload.objects.exists()


def test_apply_this_file_straight_after_a_dry_run(client, operator):
    _, brand = operator
    content = csv_text(f"0532 111 22 33,Bireysel,SMS,Onay,{recent()},Web sitesi").encode()
    assert _post(client, brand, "izinler.csv", content).status_code == 302
    dry = Upload.objects.get()
    assert dry.dry_run and dry.state == UploadState.DONE and dry.inserted == 1
    assert not Consent.objects.exists()
    page = client.get(reverse("portal:upload_detail", args=[dry.pk])).content.decode()
    assert 'id="apply-this-file"' in page

    response = client.post(reverse("portal:upload_apply", args=[dry.pk]))
    applied = Upload.objects.exclude(pk=dry.pk).get()
    assert response["Location"] == reverse("portal:upload_detail", args=[applied.pk])
    assert not applied.dry_run and applied.original.name == dry.original.name
    assert applied.state == UploadState.DONE and applied.inserted == 1
    assert Consent.objects.count() == 1 and ConsentEvent.objects.count() == 1
    # A second click applies nothing more.
    again = client.post(reverse("portal:upload_apply", args=[dry.pk]))
    assert again["Location"] == reverse("portal:upload_detail", args=[applied.pk])
    assert Upload.objects.count() == 2 and ConsentEvent.objects.count() == 1
    assert 'id="apply-this-file"' not in client.get(again["Location"]).content.decode()


def test_only_writers_may_apply_and_only_their_own_dry_runs(client, operator):
    membership, brand = operator
    dry = upload_process(upload_id=make_upload(
        brand=brand, user=membership.user, content=csv_text(f"05321112233,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB"),
        dry_run=True,
    ).pk)
    viewer = factories.MembershipFactory(provider=membership.provider, role=Role.VIEWER)
    client.force_login(viewer.user)
    assert 'id="apply-this-file"' not in client.get(reverse("portal:upload_detail", args=[dry.pk])).content.decode()
    assert client.post(reverse("portal:upload_apply", args=[dry.pk])).status_code == 403
    stranger = factories.MembershipFactory(role=Role.OWNER)
    factories.BrandFactory(provider=stranger.provider, is_master=True)
    client.force_login(stranger.user)
    assert client.post(reverse("portal:upload_apply", args=[dry.pk])).status_code == 404
    assert Upload.objects.count() == 1 and not Consent.objects.exists()


def test_progress_reads_in_grouped_numbers_rows_and_time_left(client, operator):
    membership, brand = operator
    upload = make_upload(brand=brand, user=membership.user, content=csv_text("x,BIREYSEL,MESAJ,ONAY,,"))
    Upload.objects.filter(pk=upload.pk).update(
        state=UploadState.RUNNING, started_at=timezone.now() - dt.timedelta(seconds=60), size=1_000_000,
        bytes_processed=169_000, rows_processed=50_000, rows_estimated=295_640,
    )
    status = client.get(reverse("portal:upload_status", args=[upload.pk])).json()
    assert status["progress_text"].startswith("%16 · 50.000 / ~295.640 satır · yaklaşık ")
    assert status["progress_text"].endswith(" dk kaldı")
    page = client.get(reverse("portal:upload_detail", args=[upload.pk])).content.decode()
    assert "50.000 / ~295.640 satır" in page


def test_the_page_example_and_both_templates_are_accepted_today(client, operator):
    _, brand = operator
    page = client.get(reverse("portal:upload_new")).content.decode()
    today = timezone.localtime() - dt.timedelta(hours=1)
    assert today.strftime("%d.%m.%Y") in page and "Alıcı;Alıcı tipi;Kanal" in page
    assert 'id="column-help"' in page and "Web sitesi (HS_WEB)" in page

    csv_template = client.get(reverse("portal:upload_template", args=["csv"]))
    assert csv_template["Content-Disposition"].endswith('.csv"')
    xlsx_template = client.get(reverse("portal:upload_template", args=["xlsx"]))
    book = load_workbook(io.BytesIO(xlsx_template.content))
    assert book.sheetnames == ["İzinler", "Yardım"]
    assert [c.value for c in book["İzinler"][1]] == ["Alıcı", "Alıcı tipi", "Kanal", "Durum", "İzin tarihi",
                                                     "Kaynak", "Bayi kodu"]
    assert isinstance(book["İzinler"]["E2"].value, dt.datetime)  # a real date cell
    assert "Onay, Ret" in " ".join(str(c.value) for row in book["Yardım"].iter_rows() for c in row)

    for name, content in (("sablon.csv", csv_template.content), ("sablon.xlsx", xlsx_template.content)):
        assert _post(client, brand, name, content).status_code == 302
    for dry in Upload.objects.all():
        assert (dry.state, dry.inserted, dry.refused) == (UploadState.DONE, 3, 0), dry.refusals_by_code
