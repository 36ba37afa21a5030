"""A full disk while the upload form stores the file or while the report is written: a clear message, a FAILED
upload (never "İşleniyor 99 %" forever), no partial file left behind, no re-run by the sweep.

The full disk is the outside world: the file system write is patched to write part of the file, then fail with
ENOSPC, as a real full disk does.
"""
from __future__ import annotations

import errno
import os

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consents.models import TaskOutbox, Upload, UploadRefusal, UploadState
from consents.uploads.services import upload_process
from consents.uploads.tasks import sweep_stalled_uploads
from providers.models import Role
from tests import factories

from .helpers import csv_text, make_upload, recent

pytestmark = [pytest.mark.django_db, pytest.mark.faults]


def _disk_fills_up(monkeypatch, *, under: str) -> list[str]:
    """Writes of files under `under` (a media sub-folder) stop half-way with ENOSPC; returns their paths."""
    real_save = FileSystemStorage._save
    attempted: list[str] = []

    def save(self, name, content):  # noqa: ANN001, ANN202
        if not name.startswith(under):
            return real_save(self, name, content)
        path = self.path(name)
        attempted.append(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as partial:
            partial.write(b"recipient,recipientType")  # what fitted on the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    return attempted


def _files_under(root: str) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files] if os.path.exists(root) else []


@pytest.mark.parametrize("language, message", [
    ("tr", "Sunucuda yer kalmadı"), ("en", "The server has run out of disk space"),
])
def test_a_full_disk_during_the_upload_form_says_so_and_leaves_nothing(client, settings, monkeypatch, language,
                                                                       message):
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    attempted = _disk_fills_up(monkeypatch, under="uploads/original/")
    data = csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB").encode()
    response = client.post(reverse("portal:upload_new"), {
        "brand": str(brand.brand_code), "mode": "apply",
        "file": SimpleUploadedFile("izinler.csv", data, content_type="text/csv"),
    })
    assert response.status_code == 200  # the form again, with the reason on the file field
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and message in errors[0]
    assert attempted, "the write was attempted"
    assert not Upload.objects.exists() and not TaskOutbox.objects.exists()
    assert _files_under(settings.MEDIA_ROOT) == []  # the partial file is gone


def test_a_full_disk_while_writing_the_report_fails_the_upload_once_with_a_message(transactional_db, settings,
                                                                                   monkeypatch):
    # transactional: the PostgreSQL applier writes through its own connections, which see committed rows only.
    membership = factories.MembershipFactory(role=Role.OWNER)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    content = csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB", "not-a-phone,BIREYSEL,MESAJ,ONAY,,HS_WEB")
    upload = make_upload(brand=brand, user=membership.user, content=content)
    attempted = _disk_fills_up(monkeypatch, under="uploads/reports/")

    upload_process(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.state == UploadState.FAILED and upload.finished_at is not None
    assert "yer kalmadı" in upload.error_message and "disk space" in upload.error_message_en
    assert not upload.report  # no report pointing at a file that is not there
    assert UploadRefusal.objects.filter(upload=upload).exists()  # the refusals themselves are kept
    assert attempted and not any(os.path.exists(path) for path in attempted)
    assert _files_under(os.path.join(settings.MEDIA_ROOT, "uploads", "reports")) == []
    # Finished: the sweep does not run it again (it used to, every 5 minutes, leaving a file each time).
    assert sweep_stalled_uploads(older_than_s=0) == 0
