"""Upload pages: roles, scoping between providers, whole-file refusals on the form, status and downloads."""
from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consents.models import Upload, UploadRefusal, UploadState
from providers.models import Role
from tests import factories

from .helpers import csv_text, make_upload, recent

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_providers():
    mine = factories.MembershipFactory(role=Role.OPERATOR)
    my_brand = factories.BrandFactory(provider=mine.provider, is_master=True)
    theirs = factories.MembershipFactory(role=Role.OWNER)
    their_brand = factories.BrandFactory(provider=theirs.provider, is_master=True)
    their_upload = make_upload(brand=their_brand, user=theirs.user, content=csv_text("x,BIREYSEL,MESAJ,ONAY,,"))
    UploadRefusal.objects.create(upload=their_upload, line=2, field="recipient", value="x", code="H122")
    their_upload.report.save("r.csv", SimpleUploadedFile("r.csv", b"line\n"), save=False)
    their_upload.state = UploadState.DONE
    their_upload.finished_at = their_upload.created_at
    their_upload.save()
    return mine, my_brand, theirs, their_brand, their_upload


def csv_file(content: bytes | str, name: str = "izinler.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_another_providers_upload_is_404_on_every_url(client, two_providers):
    mine, _, _, _, their_upload = two_providers
    client.force_login(mine.user)
    for name in ("upload_detail", "upload_status", "upload_report", "upload_original"):
        response = client.get(reverse(f"portal:{name}", args=[their_upload.pk]))
        assert response.status_code == 404, name
    assert their_upload.original_name not in client.get(reverse("portal:uploads")).content.decode()


def test_the_owner_reaches_the_same_urls(client, two_providers):
    _, _, theirs, _, their_upload = two_providers
    client.force_login(theirs.user)
    for name in ("upload_detail", "upload_status", "upload_report", "upload_original"):
        assert client.get(reverse(f"portal:{name}", args=[their_upload.pk])).status_code == 200, name
    assert their_upload.original_name in client.get(reverse("portal:uploads")).content.decode()


def test_a_member_of_both_sees_each_providers_uploads_only_while_acting_for_it(client, two_providers):
    mine, _, theirs, _, their_upload = two_providers
    factories.MembershipFactory(user=mine.user, provider=theirs.provider, role=Role.VIEWER)
    client.force_login(mine.user)
    client.post(reverse("portal:switch_provider"), {"provider_id": mine.provider.pk})
    assert client.get(reverse("portal:upload_detail", args=[their_upload.pk])).status_code == 404
    client.post(reverse("portal:switch_provider"), {"provider_id": theirs.provider.pk})
    assert client.get(reverse("portal:upload_detail", args=[their_upload.pk])).status_code == 200


def test_cannot_upload_to_another_providers_brand(client, two_providers):
    mine, _, _, their_brand, _ = two_providers
    client.force_login(mine.user)
    count = Upload.objects.count()
    response = client.post(reverse("portal:upload_new"), {
        "brand": str(their_brand.brand_code), "mode": "apply",
        "file": csv_file(csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB")),
    })
    assert response.status_code == 200
    assert "brand" in response.context["form"].errors
    assert Upload.objects.count() == count


@pytest.mark.parametrize("role, allowed", [
    (Role.OWNER, True), (Role.MANAGER, True), (Role.OPERATOR, True), (Role.VIEWER, False),
])
def test_only_operators_and_above_may_upload(client, role, allowed, django_capture_on_commit_callbacks):
    membership = factories.MembershipFactory(role=role)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    assert client.get(reverse("portal:uploads")).status_code == 200  # everyone may read
    page = client.get(reverse("portal:upload_new"))
    assert page.status_code == (200 if allowed else 403)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("portal:upload_new"), {
            "brand": str(brand.brand_code), "mode": "dry_run",
            "file": csv_file(csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB")),
        })
    if allowed:
        upload = Upload.objects.get(provider=membership.provider)
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:upload_detail", args=[upload.pk])
        assert upload.dry_run and upload.uploaded_by == membership.user and upload.brand == brand
        assert upload.state == UploadState.QUEUED and upload.original_name == "izinler.csv"
        assert len(callbacks) == 1  # processing is queued only after the commit
    else:
        assert response.status_code == 403
        assert not Upload.objects.exists()


BAD_FILES = {
    "empty": (b"", "Dosya boş"),
    "only a header": (b"recipient,recipientType,type,status,consentDate,source\n", "Dosya boş"),
    "binary": (b"PK\x03\x04" + b"\x00" * 300, "Excel (.xlsx) çalışma kitabı değil"),
    "no header": (b"05321234567,BIREYSEL,MESAJ,ONAY,2024-01-01 10:00:00,HS_WEB\n", "Başlık satırı tanınmadı"),
    "missing columns": (b"recipient;status\n05321234567;ONAY\n", "zorunlu sütunlar eksik"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_gets_one_clear_message_and_nothing_is_stored(client, kind, settings):
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    content, message = BAD_FILES[kind]
    response = client.post(reverse("portal:upload_new"), {
        "brand": str(brand.brand_code), "mode": "apply", "file": csv_file(content),
    })
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and message in errors[0]
    assert message in response.content.decode()
    assert not Upload.objects.exists()
    media = settings.MEDIA_ROOT
    assert not os.path.exists(media) or not any(files for _, _, files in os.walk(media))


def test_a_file_over_the_size_limit_is_refused(client, settings):
    settings.UPLOAD_MAX_BYTES = 2048
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    big = csv_text(*[f"05321234{i:03d},BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB" for i in range(100)])
    response = client.post(reverse("portal:upload_new"), {
        "brand": str(brand.brand_code), "mode": "apply", "file": csv_file(big),
    })
    errors = response.context["form"].errors["file"]
    # One language at a time (issue 13): the Turkish page no longer appends the English sentence.
    assert len(errors) == 1 and "Dosya çok büyük" in errors[0] and "too large" not in errors[0]
    assert not Upload.objects.exists()


def test_status_json_and_detail_page_of_a_finished_upload(client, two_providers):
    _, _, theirs, _, upload = two_providers
    Upload.objects.filter(pk=upload.pk).update(
        inserted=5, updated=1, unchanged=2, refused=1, refusals_by_code={"H122": 1}, rows_processed=9,
        rows_estimated=9, bytes_processed=upload.size,
    )
    client.force_login(theirs.user)
    status = client.get(reverse("portal:upload_status", args=[upload.pk])).json()
    assert status["finished"] is True and status["percent"] == 100 and status["state"] == "DONE"
    assert (status["inserted"], status["updated"], status["unchanged"], status["refused"]) == (5, 1, 2, 1)
    assert status["report_url"] == reverse("portal:upload_report", args=[upload.pk])
    page = client.get(reverse("portal:upload_detail", args=[upload.pk])).content.decode()
    assert 'id="upload-progress"' in page and 'value="100"' in page
    assert "H122" in page and 'id="report-link"' in page
    report = client.get(reverse("portal:upload_report", args=[upload.pk]))
    assert report["Content-Disposition"].startswith("attachment")
    # Streamed in the visitor's language (issue 13), not the bilingual archive file.
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[0] == "\ufeffSatır,Sütun,Yazılan değer,Kod,Açıklama"
    assert lines[1].startswith("2,") and ",H122," in lines[1] and "Recipient" not in lines[1]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    report = client.get(reverse("portal:upload_report", args=[upload.pk]))
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert ",H122," in lines[1] and "Recipient" in lines[1] and "Alıcı" not in lines[1]
    original = client.get(reverse("portal:upload_original", args=[upload.pk]))
    assert b"".join(original.streaming_content).startswith(b"recipient,")


def test_a_queued_upload_shows_a_progress_bar_that_polls(client, two_providers):
    mine, my_brand, _, _, _ = two_providers
    upload = make_upload(brand=my_brand, user=mine.user, content=csv_text("x,BIREYSEL,MESAJ,ONAY,,"))
    client.force_login(mine.user)
    page = client.get(reverse("portal:upload_detail", args=[upload.pk])).content.decode()
    assert '<progress id="upload-progress"' in page and 'value="0"' in page
    assert 'data-finished="0"' in page and reverse("portal:upload_status", args=[upload.pk]) in page
    assert client.get(reverse("portal:upload_status", args=[upload.pk])).json()["finished"] is False
