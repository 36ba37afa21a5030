"""A worker killed in the middle of an upload: the redelivered task resumes, nothing twice, nothing lost."""
from __future__ import annotations

import time

import pytest

from consents.models import Consent, ConsentEvent, Upload, UploadRefusal, UploadShard, UploadState
from consents.uploads.tasks import process_upload
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

    # Progress is right at once: what the page shows is what was committed before the kill, never less.
    shown = upload.rows_processed
    assert shown >= committed

    # The next worker (with beat, as deployed) gets the upload again from the sweep, without waiting for the
    # broker's visibility timeout (UPLOAD_SWEEP_EVERY_S); a second copy while it runs is harmless (advisory lock).
    started = time.monotonic()
    celery_worker.beat = True
    celery_worker.start()
    seen = [shown]
    deadline = time.monotonic() + 90
    while not Upload.objects.get(pk=upload.pk).finished:
        assert time.monotonic() < deadline, "the resumed upload did not finish"
        seen.append(Upload.objects.get(pk=upload.pk).rows_processed)
        time.sleep(0.2)
    recovered = time.monotonic() - started
    assert seen == sorted(seen), "progress went backwards while resuming"
    assert recovered < 60, f"resumed upload took {recovered:.0f}s after the new worker started"
    print(f"RESULT killed-worker upload done {recovered:.1f}s after a new worker was started ({committed} rows before)")

    done = Upload.objects.get(pk=upload.pk)
    assert done.state == UploadState.DONE
    assert (done.inserted, done.updated, done.unchanged, done.refused) == (ROWS - 20, 0, 0, 20)
    assert done.rows_processed == ROWS
    assert Consent.objects.filter(brand=brand).count() == ROWS - 20
    assert ConsentEvent.objects.filter(brand=brand).count() == ROWS - 20
    lines = list(UploadRefusal.objects.filter(upload=done).order_by("line").values_list("line", flat=True))
    assert lines == [i + 2 for i in range(0, ROWS, 1000)]  # each bad row reported once
