"""/metrics for Prometheus (config/metrics.py): protected, per-route latency, the registry's own counters."""
from __future__ import annotations

import re
import time
import warnings

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app as celery_app
from consents.actors import Actor
from consents.models import Status, Via
from consents.review.tasks import finalize_reviews
from consents.services import consent_record, consent_reject_by_citizen
from consents.uploads.services import upload_process
from tests.celery_worker import flush_test_redis
from tests.consents.review.support import bulk_declared, past_period
from tests.consents.uploads.helpers import csv_text, make_upload, recent

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"].startswith("text/plain; version=")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return read


def test_closed_unless_configured_and_refused_without_the_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_an_allow_list_admits_the_scrapers_network_only(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 403
    # Both set: both are required.
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_request_latency_is_counted_per_route_not_per_path(client, scrape, brand, provider):
    key = ("ileti_http_request_duration_seconds_count", (("method", "GET"), ("route", "/ret/<int:brand_code>/")))
    before = scrape().get(key, 0)
    assert client.get(f"/ret/{brand.brand_code}/").status_code == 200
    assert client.get("/ret/999999/").status_code == 404
    samples = scrape()
    assert samples[key] == before + 2
    responses = ("ileti_http_responses_total", (("method", "GET"), ("route", "/ret/<int:brand_code>/"), ("status", "4xx")))
    assert samples[responses] >= 1
    assert not any("999999" in str(labels) for _, labels in samples)


def test_every_response_names_its_request_id(client):
    response = client.get("/")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    # A proxy's id (nginx $request_id) is kept, a hostile one replaced.
    assert client.get("/", HTTP_X_REQUEST_ID="abcdef0123456789")["X-Request-ID"] == "abcdef0123456789"
    assert client.get("/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0)


@pytest.mark.django_db(transaction=True)  # the upload's COPY runs on its own connection
def test_upload_rows_are_counted_by_outcome(scrape, brand, owner):
    before = scrape()
    upload = make_upload(brand=brand, user=owner, content=csv_text(
        f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB",
        f"05321234568,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB",
        f"bozuk,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB",
    ))
    upload_process(upload_id=upload.pk)
    after = scrape()
    for outcome, added in (("inserted", 2), ("refused", 1), ("updated", 0)):
        assert _value(after, "ileti_upload_rows_total", outcome=outcome) == (
            _value(before, "ileti_upload_rows_total", outcome=outcome) + added
        )


def test_rejections_are_counted_once_committed_by_origin_and_channel(scrape, brand, provider_actor,
                                                                      django_capture_on_commit_callbacks):
    before = scrape()
    movement = {"brand": brand, "recipient": "05321234567", "recipient_type": "BIREYSEL", "channel": "MESAJ",
                    "source": "HS_WEB", "actor": provider_actor, "via": Via.WEB}
    with django_capture_on_commit_callbacks(execute=True):
        consent_record(status=Status.ONAY, consent_date=recent(hours=3), **movement)
        consent_record(status=Status.RET, consent_date=recent(), **movement)
    with django_capture_on_commit_callbacks(execute=True):
        # One citizen rejection, although it writes a row for each recipient type.
        consent_reject_by_citizen(brand=brand, recipient="+905329876543", channel="MESAJ", source="IYS_KISAMESAJ",
                                  actor=Actor.citizen(None, "test"), via=Via.SMS)
    after = scrape()
    name = "ileti_rejections_total"
    assert _value(after, name, origin="provider", via="WEB") == _value(before, name, origin="provider", via="WEB") + 1
    assert _value(after, name, origin="citizen", via="SMS") == _value(before, name, origin="citizen", via="SMS") + 1


def test_finaliser_progress(scrape, brand):
    bulk_declared(brand=brand, period=past_period(), count=30)
    before = scrape()
    started = time.time()
    finalize_reviews.apply(kwargs={"chunk_size": 10})
    after = scrape()
    assert _value(after, "ileti_review_finalized_total") == _value(before, "ileti_review_finalized_total") + 30
    assert _value(after, "ileti_review_finalize_last_run_timestamp_seconds") >= started
    assert _value(after, "ileti_review_finalize_backlog") == 0


def test_queue_depth_and_the_batch_queue_age(scrape):
    flush_test_redis()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # send_task publishes even in eager mode: the point here
            celery_app.send_task("consents.api.process_batch", args=[0], headers={"ileti_sent_at": time.time() - 120})
        samples = scrape()
        assert _value(samples, "ileti_celery_queue_depth", queue="api_batches") == 1
        assert _value(samples, "ileti_celery_queue_depth", queue="uploads") == 0
        assert 110 < _value(samples, "ileti_celery_queue_oldest_age_seconds", queue="api_batches") < 600
        assert 110 < _value(samples, "ileti_api_batch_queue_age_seconds") < 600
    finally:
        flush_test_redis()
