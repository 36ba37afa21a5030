"""Queues per workload (config/celery.py): routing, and an API batch that does not wait behind an upload."""
from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from config.celery import QUEUES, TASK_ROUTES
from config.celery import app as celery_app
from consents.models import ApiBatchRequest, BatchState, Consent, Upload, UploadState
from consents.uploads.tasks import process_upload
from providers.models import Role
from tests import factories
from tests.consents.api.support import client_for, consent_body, make_api_user
from tests.consents.uploads.helpers import csv_text, make_upload, recent


def _queue_of(task_name: str) -> str:
    route = celery_app.amqp.router.route({}, task_name)
    return route["queue"].name


def test_each_workload_has_its_queue_and_the_rest_goes_to_default():
    celery_app.loader.import_default_modules()
    assert _queue_of("consents.process_upload") == "uploads"
    assert _queue_of("consents.api.process_batch") == "api_batches"
    assert _queue_of("consents.tasks.finalize_reviews") == "review"
    assert _queue_of("consents.tasks.send_review_notifications") == "notifications"
    assert _queue_of("citizens.send_rejection_override_notice") == "notifications"
    assert _queue_of("consents.api.push_deliver") == "push"
    assert _queue_of("consents.ledger.seal_history") == "default"
    assert _queue_of("consents.sweep_stalled_uploads") == "default"
    registered = {name for name in celery_app.tasks if not name.startswith("celery.")}
    # A route naming no task is a typo that would silently send the real task to "default".
    assert set(TASK_ROUTES) <= registered
    assert {_queue_of(name) for name in registered} <= set(QUEUES)


def _waiting_on_a_lock(pid_to_skip: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> %s", [pid_to_skip],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.celery_worker
def test_an_api_batch_finishes_while_a_long_upload_holds_the_upload_worker(celery_workers):
    upload_worker = celery_workers(queues=("uploads",), concurrency=1, name="uploads")
    celery_workers(queues=("api_batches",), concurrency=1, name="api")
    membership = factories.MembershipFactory(role=Role.OWNER)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    upload = make_upload(
        brand=brand, user=membership.user,
        content=csv_text(*(f"0532{i:07d},BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB" for i in range(50))),
    )

    # The upload task starts and then waits on its upload's row, which this other connection holds: an
    # upload as long as this test wants, occupying the only process of the upload worker.
    db = connection.settings_dict
    holder = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
        dbname=db["NAME"], autocommit=False,
    )
    try:
        holder.execute(f"SELECT 1 FROM {Upload._meta.db_table} WHERE id = %s FOR UPDATE", [upload.pk])
        process_upload.delay(upload.pk)
        deadline = time.monotonic() + 60
        while not _waiting_on_a_lock(holder.info.backend_pid):
            assert time.monotonic() < deadline, f"the upload task never started; see {upload_worker.log_path}"
            time.sleep(0.1)

        api = client_for(make_api_user(provider=membership.provider))
        base = f"/sps/{membership.provider.iys_code}/brands/{brand.brand_code}"
        response = api.post(base + "/consents/request", [consent_body(f"+9053{i:08d}") for i in range(300)])
        assert response.status_code == 202, response.content
        batch = ApiBatchRequest.objects.get(request_id=response.json()["requestId"])
        deadline = time.monotonic() + 120
        while ApiBatchRequest.objects.get(pk=batch.pk).state != BatchState.DONE:
            assert time.monotonic() < deadline, "the API batch waited behind the upload"
            time.sleep(0.2)
        assert Consent.objects.filter(brand=brand, recipient__startswith="+9053").count() == 300
        # ...and the upload was still held all along.
        assert Upload.objects.get(pk=upload.pk).state == UploadState.QUEUED
    finally:
        holder.rollback()
        holder.close()

    deadline = time.monotonic() + 120
    while not Upload.objects.get(pk=upload.pk).finished:
        assert time.monotonic() < deadline, "the upload did not finish once released"
        time.sleep(0.2)
    assert Upload.objects.get(pk=upload.pk).state == UploadState.DONE
