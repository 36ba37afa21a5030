"""A worker killed in the middle of an upload: the redelivered task resumes, nothing twice, nothing lost."""
from __future__ import annotations

import time

import pytest

from consents.models import Consent, ConsentEvent, Upload, UploadRefusal, UploadShard, UploadState
from consents.uploads.tasks import process_upload, sweep_stalled_uploads
from providers.models import Role
from tests import factories

from .helpers import csv_text, make_upload, recent

pytestmark = pytest.mark.celery_worker

ROWS = 20_000


def test_killed_worker_resumes_the_upload_where_it_stopped(celery_worker, monkeypatch):
    monkeypatch.setenv("UPLOAD_CHUNK_ROWS", "500")  # many short chunks, so the kill lands mid-file
    celery_worker.restart()
    membership = factories.MembershipFactory(role=Role.OWNER)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    d = recent()
    rows = [f"0532{i:07d},BIREYSEL,MESAJ,ONAY,{d},HS_WEB" for i in range(ROWS)]
    for i in range(0, ROWS, 1000):
        rows[i] = f"bozuk-{i},BIREYSEL,MESAJ,ONAY,{d},HS_WEB"  # 20 bad rows, one per 1000
    upload = make_upload(brand=brand, user=membership.user, content=csv_text(*rows))

    process_upload.delay(upload.pk)
    deadline = time.monotonic() + 60
    while not UploadShard.objects.filter(upload=upload, resume_line__gt=0).exists():
        assert time.monotonic() < deadline, "the upload never committed a chunk"
        time.sleep(0.02)
    celery_worker.kill()
    upload.refresh_from_db()
    assert upload.state == UploadState.RUNNING, "finished before the kill; the test needs a slower upload"
    committed = Consent.objects.filter(brand=brand).count()
    assert 0 < committed < ROWS - 20

    # The next worker gets the upload again from the beat sweep (no waiting for the broker's visibility
    # timeout); a second sweep while it runs is harmless: the advisory lock keeps one runner.
    celery_worker.start()
    assert sweep_stalled_uploads.delay(0).get(timeout=30) == 1
    sweep_stalled_uploads.delay(0).get(timeout=30)
    deadline = time.monotonic() + 120
    while not Upload.objects.get(pk=upload.pk).finished:
        assert time.monotonic() < deadline, "the resumed upload did not finish"
        time.sleep(0.2)

    done = Upload.objects.get(pk=upload.pk)
    assert done.state == UploadState.DONE
    assert (done.inserted, done.updated, done.unchanged, done.refused) == (ROWS - 20, 0, 0, 20)
    assert done.rows_processed == ROWS
    assert Consent.objects.filter(brand=brand).count() == ROWS - 20
    assert ConsentEvent.objects.filter(brand=brand).count() == ROWS - 20
    lines = list(UploadRefusal.objects.filter(upload=done).order_by("line").values_list("line", flat=True))
    assert lines == [i + 2 for i in range(0, ROWS, 1000)]  # each bad row reported once
