"""The upload task through a real Celery worker: queued from the portal, processed, idempotent."""
from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consents.models import Consent, ConsentEvent, Upload, UploadState
from consents.uploads.tasks import process_upload
from providers.models import Role
from tests import factories

from .helpers import csv_text, recent

pytestmark = pytest.mark.celery_worker


def wait_finished(upload_id: int, timeout: float = 60.0) -> Upload:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload = Upload.objects.get(pk=upload_id)
        if upload.finished:
            return upload
        time.sleep(0.2)
    raise AssertionError(f"upload {upload_id} did not finish: {Upload.objects.get(pk=upload_id).state}")


def post_upload(client, brand, text: str, mode: str) -> Upload:
    response = client.post(reverse("portal:upload_new"), {
        "brand": str(brand.brand_code), "mode": mode,
        "file": SimpleUploadedFile("izinler.csv", text.encode("cp1254"), content_type="text/csv"),
    })
    assert response.status_code == 302, response.content.decode()[:500]
    return Upload.objects.order_by("-id").first()


def test_portal_upload_is_processed_by_the_worker_and_the_same_file_twice_changes_nothing(client, celery_worker):
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    d = recent()
    text = csv_text(
        f"0532 123 45 67;BIREYSEL;MESAJ;ONAY;{d};HS_WEB",
        f"şirket@örnek.com;BIREYSEL;EPOSTA;ONAY;{d};HS_WEB",  # Turkish letters: refused (H120)
        f"ayşe.kaya@example.com;BIREYSEL;EPOSTA;ONAY;{d};HS_WEB",
        "",
        f"+90 532 765 43 21;TACIR;ARAMA;ONAY;{d};HS_CAGRI_MERKEZI",
        header="Alıcı;Alıcı Tipi;Kanal;Durum;İzin Tarihi;Kaynak",
    )
    first = wait_finished(post_upload(client, brand, text, "apply").pk)
    assert first.state == UploadState.DONE, first.error_message
    assert (first.inserted, first.updated, first.unchanged, first.refused) == (2, 0, 0, 2)
    assert first.refusals_by_code == {"H120": 2}
    assert first.report and first.rows_processed == 4
    assert set(Consent.objects.filter(brand=brand).values_list("recipient", flat=True)) == {
        "+905321234567", "+905327654321",
    }
    history = ConsentEvent.objects.filter(brand=brand).count()

    second = wait_finished(post_upload(client, brand, text, "apply").pk)
    assert (second.inserted, second.updated, second.unchanged, second.refused) == (0, 0, 2, 2)
    assert ConsentEvent.objects.filter(brand=brand).count() == history

    # A redelivered task for a finished upload does nothing.
    assert process_upload.delay(second.pk).get(timeout=30) is None
    second.refresh_from_db()
    assert (second.inserted, second.unchanged) == (0, 2)


def test_dry_run_through_the_worker_stores_nothing(client, celery_worker):
    membership = factories.MembershipFactory(role=Role.OWNER)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    d = recent()
    text = csv_text(
        f"05321234567,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"05321234567,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"05321234568,BIREYSEL,MESAJ,RET,{d},HS_WEB",
    )
    dry = wait_finished(post_upload(client, brand, text, "dry_run").pk)
    assert dry.state == UploadState.DONE and dry.dry_run
    assert (dry.inserted, dry.refused, dry.refusals_by_code) == (1, 2, {"H194": 1, "H175": 1})
    assert not Consent.objects.exists() and not ConsentEvent.objects.exists()
    page = client.get(reverse("portal:upload_detail", args=[dry.pk])).content.decode()
    assert "hiçbir şey kaydedilmedi" in page


def test_a_binary_file_that_slipped_past_the_form_fails_in_the_worker_with_its_message(celery_worker):
    from .helpers import make_upload

    membership = factories.MembershipFactory(role=Role.OWNER)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    upload = make_upload(brand=brand, user=membership.user, content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    process_upload.delay(upload.pk)
    failed = wait_finished(upload.pk)
    assert failed.state == UploadState.FAILED
    assert "Excel (.xlsx) çalışma kitabı değil" in failed.error_message
    assert not Consent.objects.exists()
