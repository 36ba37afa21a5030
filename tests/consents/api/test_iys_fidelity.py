"""İYS's own endpoints answer exactly as İYS (issue 10, point 2): request shapes, every error of an item,
consentDate's one format, retailerCode, 405s, the error table's statuses and messages, the multi-status
list, finalisation kept out of İYS's history and change feed, the change-feed cursor in seconds."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from consents.api.errors import API_ERRORS
from consents.api.tasks import process_api_batch
from consents.errors import ERRORS
from consents.models import (
    ApiBatchItem,
    ApiBatchRequest,
    Consent,
    ConsentEvent,
    DeclarationPeriod,
    EventAction,
)
from consents.review.finalize import finalize_due_reviews
from tests import factories
from tests.consents.api.support import (  # noqa: F401 - fixtures
    api,
    api_user,
    base,
    consent_body,
    official,
    recent,
)

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def iys_table() -> dict[str, tuple[int, str]]:
    """İYS's error table (the HATA KODLARI section of the official document): code -> (status, text)."""
    section = next(t for t in official()["tags"] if t["name"] == "HATA KODLARI")["description"]
    table: dict[str, tuple[int, str]] = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*(H\d+)\s*\|\s*(\d+)\s*\|\s*(.*?)\s*\|?\s*$", line)
        if m:
            table.setdefault(m[1], (int(m[2]), m[3]))
    return table


# Codes whose text differs from the table on purpose, and why.
TEXT_EXCEPTIONS = {
    # The table's "Alan" is the field İYS names (its examples: "iysCode, kullanıcı izinleriyle ...").
    "H353": "placeholder",
    # The table lists the retailer-access limit (100); İYS's consent examples say 3000, the consents' limit.
    "H126": "placeholder",
    # "İzin durumu: ONAY / RET" in the table is the stored status, as in İYS's examples.
    "H174": "placeholder",
    # The table words it per channel for MESAJ; İYS's examples show the EPOSTA wording too.
    "H464": "placeholder",
    # The table's {{retailerCode}}.
    "H061": "placeholder",
    # The table's H267 names iysCode; İYS's example for an empty retailerCode (retailerCodeEmpty) is this text.
    "H267": "example text for retailerCode",
    # İYS uses H093 for a missing field of a push registration; the table names one field (transactionId).
    "H093": "field named",
}


def _matches(ours: str, theirs: str) -> bool:
    pattern = re.escape(ours)
    pattern = re.sub(r"\\\{\w+\\\}", ".+", pattern)
    theirs = re.sub(r"\{\{\w+\}\}", "X", theirs).replace("ONAY / RET", "ONAY")
    return re.fullmatch(pattern, theirs) is not None or (ours.startswith("{") and theirs.startswith("Alan"))


def test_every_code_we_send_that_iys_has_carries_its_status_and_text():
    table = iys_table()
    ours = {code: (e.http_status, e.tr) for code, e in ERRORS.items()}
    ours.update(API_ERRORS)
    checked = 0
    for code, (status, text) in ours.items():
        if code.startswith("ILT"):
            continue  # registry-only codes
        if code not in table:
            continue  # codes İYS shows only in its examples (H016, H018, H058, H506, ...)
        assert status == table[code][0], (code, status, table[code])
        if code in TEXT_EXCEPTIONS:
            assert _matches(text, table[code][1]) or TEXT_EXCEPTIONS[code] != "placeholder", (code, text)
        else:
            assert text == table[code][1], (code, text, table[code][1])
        checked += 1
    assert checked >= 60
    assert not [code for code in ours if not code.startswith(("H", "ILT"))]


def test_recipient_type_is_optional_and_defaults_to_bireysel(api, base, brand):
    body = consent_body("+905321110001")
    del body["recipientType"]
    r = api.post(base + "/consents", body)
    assert r.status_code == 200, r.content
    assert Consent.objects.get(recipient="+905321110001").recipient_type == "BIREYSEL"


def test_unknown_fields_are_422_h118_in_single_and_batch(api, base):
    r = api.post(base + "/consents", consent_body(unacceptableProperty="unacceptableValue"))
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "code": "H118",
            "location": ["unacceptableProperty"],
            "value": "unacceptableValue",
            "message": iys_table()["H118"][1],
        }
    ]
    r = api.post(base + "/consents/request", [consent_body("+905321110002"), consent_body(extra=1)])
    assert r.status_code == 422 and r.json()["errors"][0] | {"message": ""} == {
        "code": "H118", "index": 1, "location": ["extra"], "value": "1", "message": "",
    }
    assert not Consent.objects.exists()


def test_every_error_of_an_item_is_listed(api, base):
    r = api.post(base + "/consents", consent_body("9055436100000000"))
    assert r.status_code == 422 and codes(r) == ["H160", "H121"]
    r = api.post(
        base + "/consents/request",
        [
            consent_body("+905321110003", source="HS_2015", consentDate="2015-02-10 09:30:00"),
            consent_body("905313334455999999999999", status="ONAYY"),
        ],
    )
    got = [(e["index"], e["code"]) for e in r.json()["errors"]]
    assert got == [(0, "H156"), (0, "H155"), (1, "H115"), (1, "H160"), (1, "H121")]


@pytest.mark.parametrize(
    "value",
    [
        "2020-07-08T07:07:07",
        "2020-07-08 07:07:07+03:00",
        "2020-07-08T07:07:07Z",
        "2020-07-08",
        "2020-07-08 07:07:07.123",
        "2020-07-08 07:07",
        " 2020-07-08 07:07:07",
        "08.07.2020 07:07:07",
    ],
)
def test_consent_date_only_in_iys_format(api, base, value):
    r = api.post(base + "/consents", consent_body(consentDate=value))
    assert r.status_code == 422 and codes(r) == ["H158"], r.content
    r = api.post(base + "/consents/request", [consent_body(consentDate=value)])
    assert r.status_code == 422 and codes(r) == ["H158"]


@pytest.mark.parametrize("raw", ["0532 123 45 67", "905321234567", "05321234567", "+90 532 123 45 67"])
def test_phones_only_in_e164_on_the_api(api, base, raw):
    """People may type any shape (form, CSV); İYS's API takes E.164 only, as its examples show."""
    r = api.post(base + "/consents", consent_body(raw))
    assert r.status_code == 422 and codes(r) == ["H121"], r.content
    r = api.post(base + "/consents/status", {"recipient": raw, "recipientType": "BIREYSEL", "type": "MESAJ"})
    assert r.status_code == 422 and codes(r) == ["H121"]


def test_unassigned_numbers_are_refused_on_the_api(api, base):
    for raw in ("+905001234567", "+902001234567"):
        r = api.post(base + "/consents", consent_body(raw))
        assert r.status_code == 422 and codes(r) == ["H121"], raw
        r = api.post(base + "/consents/BIREYSEL/status/MESAJ", {"recipients": [raw]})
        assert r.status_code == 422 and codes(r) == ["H121"], raw


def test_impossible_date_in_iys_format_is_h157(api, base):
    r = api.post(base + "/consents", consent_body(consentDate="2020-15-01 13:35:00"))
    assert r.status_code == 422 and codes(r) == ["H157"]


def test_retailer_code_empty_is_400_h267_and_not_a_number_is_an_invalid_request(api, base):
    r = api.post(base + "/consents", consent_body(retailerCode=""))
    assert r.status_code == 400
    assert r.json() == {"errors": [{"code": "H267", "message": "retailerCode değeri boş string olmamalıdır!"}]}
    r = api.post(base + "/consents", consent_body(retailerCode="abc"))
    assert r.status_code == 400 and codes(r) == ["H085"]
    r = api.post(base + "/consents/request", [consent_body(retailerCode="abc")])
    assert r.status_code == 400 and codes(r) == ["H092"]


def test_wrong_method_is_405_in_iys_json_shape(api, base):
    r = api.call("PATCH", base + "/consents", consent_body())
    assert r.status_code == 405 and "POST" in r["Allow"]
    assert r.json() == {"errors": [{"code": "H1044", "message": "HTTP istek tipi geçersiz."}]}
    assert api.get(base + "/consents/status").status_code == 405


def test_messages_of_h464_h467_h121_h125_are_iys_words(api, base):
    table = iys_table()
    r = api.post(base + "/consents", consent_body("ali@example.com", type="MESAJ"))
    assert r.json()["errors"][0]["message"] == table["H464"][1]
    r = api.post(base + "/consents/BIREYSEL/status/EPOSTA", {"recipients": ["+905312560714"]})
    assert r.json()["errors"] == [
        {
            "code": "H464",
            "location": ["recipient"],
            "value": "+905312560714",
            "message": "İzin tipi (type) EPOSTA için, alıcı (recipient) e-posta formatında olmalıdır.",
        }
    ]
    old = (timezone.localtime() - dt.timedelta(days=20)).strftime("%Y-%m-%d %H:%M:%S")
    r = api.post(base + "/consents", consent_body(consentDate=old))
    assert r.status_code == 422 and r.json()["errors"][0]["message"] == table["H467"][1]
    r = api.post(base + "/consents", consent_body("+905001234567"))
    assert r.json()["errors"][0]["message"] == table["H121"][1]
    r = api.post(base + "/consents/BIREYSEL/status/MESAJ", {"recipients": [f"+9053{i:08d}" for i in range(1001)]})
    assert codes(r) == ["H125"] and r.json()["errors"][0]["message"] == table["H125"][1]


def test_finalisation_is_not_a_movement_for_iys_clients(api, base, provider, brand, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0
    factories.DeclarationPeriodFactory(tier=provider.tier)
    old = (timezone.localtime() - dt.timedelta(days=20)).strftime("%Y-%m-%d %H:%M:%S")
    r = api.post(base + "/consents", consent_body("+905321110009", consentDate=old))
    assert r.status_code == 200, r.content
    query = {"recipient": "+905321110009", "recipientType": "BIREYSEL", "type": "MESAJ"}
    before = api.post(base + "/consents/status", query).json()
    Consent.objects.filter(recipient="+905321110009").update(review_until=timezone.now() - dt.timedelta(hours=1))
    assert finalize_due_reviews().finalized == 1
    assert ConsentEvent.objects.filter(action=EventAction.FINALIZE).count() == 1  # the portal still sees it

    history = api.post(base + "/consents/history", query).json()
    assert history["pagination"]["totalCount"] == 1
    assert [row["transactionId"] for row in history["list"]] == [before["transactionId"]]
    changes = api.get(base + "/consents/changes?source=HS").json()
    assert [row["transactionId"] for row in changes["list"]] == [before["transactionId"]]
    assert api.post(base + "/consents/status", query).json() == before


def test_change_feed_cursor_is_in_seconds(api, base, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0
    assert api.post(base + "/consents", consent_body("+905321110010")).status_code == 200
    body = api.get(base + "/consents/changes?source=HS").json()
    seconds, _, tx = body["after"].partition("_")
    assert abs(int(seconds) - timezone.now().timestamp()) < 120 and len(seconds) == 10
    assert tx == body["list"][-1]["transactionId"]
    assert api.get(base + f"/consents/changes?source=HS&after={body['after']}").status_code == 204


def test_batch_items_are_judged_at_the_requests_time(api, base, django_capture_on_commit_callbacks):
    """An item accepted with 202 does not fail H467 because its task ran days later."""
    DeclarationPeriod.objects.all().delete()
    r = api.post(base + "/consents/request", [consent_body("+905321110011", consentDate=recent(hours=1))])
    assert r.status_code == 202
    batch = ApiBatchRequest.objects.get(request_id=r.json()["requestId"])
    # As if the request had come ten days ago and the worker reached it only now.
    shift = dt.timedelta(days=10)
    ApiBatchRequest.objects.filter(pk=batch.pk).update(created_at=batch.created_at - shift)
    item = batch.items.get()
    moved = timezone.localtime(
        dt.datetime.strptime(item.payload["consentDate"], "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=timezone.get_current_timezone()
        )
        - shift
    )
    ApiBatchItem.objects.filter(pk=item.pk).update(
        payload=item.payload | {"consentDate": moved.strftime("%Y-%m-%d %H:%M:%S")}
    )
    process_api_batch(batch.pk)
    rows = api.get(base + f"/consents/request/{batch.request_id}").json()
    assert [row["status"] for row in rows] == ["success"], rows
