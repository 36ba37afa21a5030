"""The beat sweep queues again only uploads left waiting or running by a lost task."""
import datetime as dt

import pytest
from django.utils import timezone

from consents.models import Upload, UploadState
from consents.uploads.services import uploads_stalled
from consents.uploads.tasks import sweep_stalled_uploads
from providers.models import Role
from tests import factories

from .helpers import csv_text, make_upload, recent


@pytest.mark.django_db
def test_sweep_requeues_stalled_uploads_only(monkeypatch):
    membership = factories.MembershipFactory(role=Role.OWNER)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    content = csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB")
    stalled = make_upload(brand=brand, user=membership.user, content=content)
    fresh = make_upload(brand=brand, user=membership.user, content=content)
    done = make_upload(brand=brand, user=membership.user, content=content)
    old = timezone.now() - dt.timedelta(minutes=30)
    Upload.objects.filter(pk=stalled.pk).update(state=UploadState.RUNNING, created_at=old)
    Upload.objects.filter(pk=done.pk).update(state=UploadState.DONE, created_at=old, finished_at=old)
    queued: list[int] = []
    monkeypatch.setattr(
        "consents.uploads.tasks.process_upload.apply_async", lambda args, **options: queued.append(args[0])
    )

    assert uploads_stalled(older_than=dt.timedelta(minutes=5)) == [stalled.pk]
    assert sweep_stalled_uploads(older_than_s=300) == 1
    assert queued == [stalled.pk]
    assert fresh.pk not in queued and done.pk not in queued
