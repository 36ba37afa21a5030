"""Without Redis the demo runs tasks in one background thread of the process (config/celery.py)."""
from __future__ import annotations

import threading
import time

import pytest

from config.celery import app
from consents.models import Upload, UploadState
from consents.uploads.tasks import process_upload
from tests import factories
from tests.consents.uploads.helpers import csv_text, make_upload, recent

pytestmark = pytest.mark.django_db(transaction=True)


SEEN: list[str] = []  # threads the task ran in (task arguments are copied through JSON)


@app.task(name="tests.record_thread")
def record_thread() -> None:
    SEEN.append(threading.current_thread().name)


def test_eager_tasks_leave_the_callers_thread_when_asked(settings):
    SEEN.clear()
    record_thread.delay()
    assert SEEN == [threading.current_thread().name]  # plain eager mode: in the caller (the tests' default)

    settings.CELERY_TASKS_IN_BACKGROUND = True
    SEEN.clear()
    record_thread.delay()
    seen = SEEN
    for _ in range(100):
        if seen:
            break
        time.sleep(0.05)
    assert seen and seen[0].startswith("ileti-tasks")


def test_an_upload_is_processed_off_the_request_thread(settings):
    settings.CELERY_TASKS_IN_BACKGROUND = True
    membership = factories.MembershipFactory()
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    rows = [f"0532{i:07d},BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB" for i in range(3000)]
    upload = make_upload(brand=brand, user=membership.user, content=csv_text(*rows))
    result = process_upload.delay(upload.pk)
    assert result.id
    for _ in range(600):
        upload.refresh_from_db()
        if upload.finished:
            break
        time.sleep(0.1)
    assert (upload.state, upload.inserted) == (UploadState.DONE, 3000)
    assert Upload.objects.count() == 1
