"""Adding consents through the API: single, idempotent /v2, batches of up to 1,000, status and history."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from consents.models import ApiBatchRequest, BatchState, Consent, ConsentEvent, RetailerAccess, Status
from tests import factories
from tests.consents.api.support import (  # noqa: F401 - fixtures
    api,
    api_user,
    base,
    client_for,
    consent_body,
    make_api_user,
    recent,
)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_add_one_consent_records_it_with_history_naming_the_api_user(api, api_user, base, brand):
    r = api.post(base + "/consents", consent_body("+905321234567"))
    assert r.status_code == 200, r.content
    body = r.json()
    consent = Consent.objects.get(brand=brand, recipient="+905321234567")
    assert consent.status == Status.ONAY and consent.transaction_id == body["transactionId"]
    event = ConsentEvent.objects.get(consent=consent)
    assert (
        event.via == "API"
        and event.actor_ref == f"api:{api_user.pk}"
        and api_user.username in event.actor_label
    )
    assert len(body["creationDate"]) == 19  # yyyy-mm-dd hh:mm:ss


def test_rule_violations_answer_with_the_services_codes(api, base):
    r = api.post(base + "/consents", consent_body(status="RET"))
    assert r.status_code == 400 and codes(r) == ["H175"]
    assert api.post(base + "/consents", consent_body()).status_code == 200
    r = api.post(base + "/consents", consent_body())
    assert r.status_code == 400 and codes(r) == ["H174"]
    future = (timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    r = api.post(base + "/consents", consent_body("+905321230000", consentDate=future))
    assert r.status_code == 422 and codes(r) == ["H162"]
    assert r.json()["errors"][0]["location"] == ["consentDate"]
    r = api.post(base + "/consents", consent_body("a@b", type="EPOSTA"))
    assert r.status_code == 422 and codes(r) == ["H120"]


def test_schema_errors_map_to_iys_codes(api, base):
    r = api.post(
        base + "/consents",
        {
            "recipient": "+905321234567",
            "type": "EPOSTAa",
            "status": "ONAYY",
            "recipientType": "BIREYSEL",
            "source": "HS_FIZIKSEL_OTAM",
        },
    )
    assert r.status_code == 422
    got = {e["code"]: e for e in r.json()["errors"]}
    # Every error of the item, as İYS lists them (the missing consentDate too).
    assert set(got) == {"H117", "H115", "H119", "H112"}
    assert got["H117"]["location"] == ["type"] and got["H117"]["value"] == "EPOSTAa"
    r = api.post(base + "/consents", {"type": "MESAJ", "status": "ONAY", "recipientType": "BIREYSEL"})
    assert codes(r) == ["H114", "H113", "H112"]
    assert codes(api.post(base + "/consents", [])) == ["H085"]
    assert codes(api.post(base + "/consents", {})) == ["H085"]


def test_unknown_dealer_is_403_h180_and_nothing_is_stored(api, base, brand):
    other_brand_dealer = factories.RetailerFactory()
    r = api.post(base + "/consents", consent_body(retailerAccess=[other_brand_dealer.code]))
    assert r.status_code == 403 and codes(r) == ["H180"]
    assert r.json()["errors"][0]["location"] == ["retailerAccess", 0]
    assert not Consent.objects.exists()


def test_retailer_access_is_granted_with_the_consent(api, base, brand):
    dealers = [factories.RetailerFactory(brand=brand) for _ in range(2)]
    r = api.post(
        base + "/consents",
        consent_body(retailerCode=dealers[0].code, retailerAccess=[d.code for d in dealers]),
    )
    assert r.status_code == 200, r.content
    consent = Consent.objects.get()
    assert consent.retailer == dealers[0]
    assert RetailerAccess.objects.filter(consent=consent).count() == 2


def test_v2_returns_the_same_transaction_for_the_same_request(api, base):
    body = consent_body()
    first = api.post("/v2" + base + "/consents", body)
    again = api.post("/v2" + base + "/consents", body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert ConsentEvent.objects.count() == 1
    # v1 keeps İYS's answer for a repeat: the status must change.
    assert codes(api.post(base + "/consents", body)) == ["H174"]
    # A different body is a different request.
    changed = api.post("/v2" + base + "/consents", dict(body, status="RET", consentDate=recent(hours=0)))
    assert changed.status_code == 200 and changed.json()["transactionId"] != first.json()["transactionId"]


def _post_batch(api, base, items, django_capture_on_commit_callbacks, path="/consents/request"):
    with django_capture_on_commit_callbacks(execute=True):
        return api.post(base + path, items)


def test_batch_of_1000_with_mixed_outcomes(api, base, brand, django_capture_on_commit_callbacks):
    # Already stored: one ONAY (a repeat fails H174), one we move to RET (success).
    assert (
        api.post(base + "/consents", consent_body("+905300000001", consentDate=recent(hours=3))).status_code
        == 200
    )
    assert (
        api.post(base + "/consents", consent_body("+905300000002", consentDate=recent(hours=3))).status_code
        == 200
    )
    items = [consent_body(f"+9053{i:08d}") for i in range(10, 1007)]
    items.append(consent_body("+905300000001"))  # unchanged: H174
    items.append(consent_body("+905300000002", status="RET"))  # change: success
    items.append(consent_body("+905300000003", status="RET"))  # first record RET: H175
    assert len(items) == 1000
    r = _post_batch(api, base, items, django_capture_on_commit_callbacks)
    assert r.status_code == 202, r.content
    accepted = r.json()
    assert len(accepted["subRequests"]) == 1000
    results = api.get(base + "/consents/request/" + accepted["requestId"]).json()
    assert [row["index"] for row in results] == list(range(1000))
    by_status = {}
    for row in results:
        by_status.setdefault(row["status"], []).append(row)
    assert len(by_status["success"]) == 998
    failures = {row["index"]: row["error"]["code"] for row in by_status["failure"]}
    assert failures == {997: "H174", 999: "H175"}
    assert all(
        row["transactionId"] and row["requestId"] == accepted["requestId"] for row in by_status["success"]
    )
    assert Consent.objects.filter(brand=brand).count() == 999
    assert Consent.objects.get(recipient="+905300000002").status == Status.RET
    assert ApiBatchRequest.objects.get().state == BatchState.DONE


def test_batch_is_refused_whole_for_invalid_items_duplicates_and_size(
    api, base, django_capture_on_commit_callbacks
):
    items = [consent_body("+905300000001"), consent_body("+905300000002", type="EPOSTAA")]
    r = _post_batch(api, base, items, django_capture_on_commit_callbacks)
    assert r.status_code == 422 and [(e["index"], e["code"]) for e in r.json()["errors"]] == [(1, "H117")]
    # Shape first, then the rules: every offending item is named by its index.
    items = [
        consent_body("+905300000001"),
        consent_body("+905300000002", status="ONAY", source="HS_KARAR"),
        consent_body("+905300000001"),
        consent_body("not-a-phone"),
    ]
    r = _post_batch(api, base, items, django_capture_on_commit_callbacks)
    assert r.status_code == 422
    errors = sorted((e["index"], e["code"]) for e in r.json()["errors"])
    assert errors == [(1, "H408"), (2, "H194"), (3, "H121")]
    too_many = [consent_body(f"+9053{i:08d}") for i in range(1001)]
    r = _post_batch(api, base, too_many, django_capture_on_commit_callbacks)
    assert r.status_code == 422 and codes(r) == ["H091"]
    assert codes(_post_batch(api, base, [], django_capture_on_commit_callbacks)) == ["H092"]
    assert not ApiBatchRequest.objects.exists() and not Consent.objects.exists()


def test_batch_v2_reports_the_request_that_recorded_a_repeated_consent(
    api, base, django_capture_on_commit_callbacks
):
    item = consent_body("+905300000001")
    first = _post_batch(api, base, [item], django_capture_on_commit_callbacks)
    assert api.get(base + "/consents/request/" + first.json()["requestId"]).json()[0]["status"] == "success"
    # Resend through /v2: success, pointing at the first request.
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/v2" + base + "/consents/request", [item])
    assert r.status_code == 202
    rows = api.get("/v2" + base + "/consents/request/" + r.json()["requestId"]).json()
    assert rows[0]["status"] == "success" and rows[0]["isAddConsentV2Service"] is True
    assert rows[0]["originalRequestInformation"]["requestId"] == first.json()["requestId"]
    # The same through v1 fails as İYS does.
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(base + "/consents/request", [item])
    rows = api.get(base + "/consents/request/" + r.json()["requestId"]).json()
    assert rows[0]["status"] == "failure" and rows[0]["error"]["code"] == "H174"


def test_request_id_checks(api, base):
    assert codes(api.get(base + "/consents/request/12345")) == ["H400"]
    assert codes(api.get(base + "/consents/request/abcde")) == ["H199"]
    assert codes(api.get(base + "/consents/request/" + "a1" * 20)) == ["H198"]
    assert api.get(base + "/consents/request/a9817bd8-0642-4d8c-946b-cc47d5aac41a").json() == []


def test_status_of_one_and_of_many(api, base, brand):
    assert api.post(base + "/consents", consent_body("+905300000001")).status_code == 200
    assert (
        api.post(base + "/consents", consent_body("+905300000002", consentDate=recent(hours=3))).status_code
        == 200
    )
    assert api.post(base + "/consents", consent_body("+905300000002", status="RET")).status_code == 200
    assert (
        api.post(
            base + "/consents", consent_body("+905300000004", recipientType="TACIR", status="ONAY")
        ).status_code
        == 200
    )
    r = api.post(
        base + "/consents/status",
        {"recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ"},
    )
    assert r.status_code == 200 and r.json()["status"] == "ONAY" and r.json()["recipient"] == "+905300000001"
    r = api.post(
        base + "/consents/BIREYSEL/status/MESAJ",
        {"recipients": ["+905300000001", "+905300000002", "+905300000003"]},
    )
    assert r.status_code == 200 and r.json()["list"] == ["+905300000001"]
    # As İYS: only recipients whose stored status is ONAY, TACIR too (no record is not listed).
    r = api.post(base + "/consents/TACIR/status/MESAJ", {"recipients": ["+905300000003", "+905300000004"]})
    assert r.json()["list"] == ["+905300000004"]
    r = api.post(base + "/consents/BIREYSEL/status/MESAJ", {"recipients": ["+905300000001", "+905300000001"]})
    assert (
        r.status_code == 422
        and codes(r) == ["H193"]
        and r.json()["errors"][0]["location"] == ["recipients", 1]
    )
    r = api.post(base + "/consents/BIREYSEL/status/EPOSTA", {"recipients": ["+905300000001"]})
    assert codes(r) == ["H464"]
    assert codes(api.post(base + "/consents/BIREYSEL/status/MESAJ", {"recipients": []})) == ["H164"]
    assert codes(api.post(base + "/consents/BIREYSEL/status/MESAJ", {})) == ["H097"]
    r = api.post(
        base + "/consents/BIREYSEL/status/MESAJ", {"recipients": [f"+9053{i:08d}" for i in range(1001)]}
    )
    assert r.status_code == 422 and codes(r) == ["H125"]


def test_history_newest_consent_date_first_with_paging(api, base):
    assert (
        api.post(base + "/consents", consent_body("+905300000001", consentDate=recent(hours=5))).status_code
        == 200
    )
    assert (
        api.post(
            base + "/consents", consent_body("+905300000001", status="RET", consentDate=recent(hours=4))
        ).status_code
        == 200
    )
    assert (
        api.post(base + "/consents", consent_body("+905300000001", consentDate=recent(hours=3))).status_code
        == 200
    )
    query = {"recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ"}
    r = api.post(base + "/consents/history?limit=2", query)
    assert r.status_code == 200
    body = r.json()
    assert [row["status"] for row in body["list"]] == ["ONAY", "RET"]
    assert body["pagination"] == {"totalCount": 3, "pageSize": 2, "offset": 0}
    assert [
        row["status"] for row in api.post(base + "/consents/history?limit=2&offset=2", query).json()["list"]
    ] == ["ONAY"]
    assert codes(api.post(base + "/consents/history?limit=1000", query)) == ["H186"]
    assert codes(api.post(base + "/consents/history?limit=0", query)) == ["H187"]


def test_brands_list_with_stats(api, provider, brand):
    factories.BrandFactory(provider=provider, name="Alt Marka")
    factories.RetailerFactory(brand=brand)
    assert (
        api.post(f"/sps/{provider.iys_code}/brands/{brand.brand_code}/consents", consent_body()).status_code
        == 200
    )
    r = api.get(f"/sps/{provider.iys_code}/brands")
    assert r.status_code == 200
    master = r.json()[0]
    assert master["brandCode"] == brand.brand_code and master["master"] is True
    assert master["stats"] == {
        "consents": {"approval": 1, "rejection": 0, "total": 1},
        "retailers": {"total": 1},
    }
    assert len(r.json()) == 2


def test_a_batch_is_processed_by_a_real_worker_in_chunks(celery_worker, provider, brand):
    """300 items: more than one task's chunk, so the task re-queues itself; every item ends success."""
    api = client_for(make_api_user(provider=provider))
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    items = [consent_body(f"+9053{i:08d}") for i in range(300)]
    r = api.post(base + "/consents/request", items)
    assert r.status_code == 202, r.content
    request_id = r.json()["requestId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = api.get(base + "/consents/request/" + request_id).json()
        if all(row["status"] != "enqueue" for row in rows):
            break
        time.sleep(0.3)
    assert [row["status"] for row in rows] == ["success"] * 300
    assert ApiBatchRequest.objects.get(request_id=request_id).state == BatchState.DONE
    assert Consent.objects.filter(brand=brand).count() == 300


def test_the_sweep_requeues_a_batch_whose_task_was_lost(api, base, brand):
    # Posted without running the commit hook: as if the broker had lost the task.
    r = api.post(base + "/consents/request", [consent_body("+905300000001")])
    batch = ApiBatchRequest.objects.get(request_id=r.json()["requestId"])
    assert batch.state == BatchState.PENDING
    from consents.api.tasks import sweep_api_work

    assert sweep_api_work() == {"batches": 0, "deliveries": 0}  # young batches are left to their own task
    ApiBatchRequest.objects.filter(pk=batch.pk).update(created_at=batch.created_at - dt.timedelta(minutes=10))
    assert sweep_api_work()["batches"] == 1  # eager in tests: processed right away
    batch.refresh_from_db()
    assert batch.state == BatchState.DONE and Consent.objects.filter(recipient="+905300000001").exists()
