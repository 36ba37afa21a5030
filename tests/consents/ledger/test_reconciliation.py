"""Reconciliation (mutabakat) as İYS: the day's file and its SHA-384, counts, agreement, against the official
schemas and examples; the nightly build on a real worker; the business portal's page."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest

from consents.ledger.daily import build_day, seal_of
from consents.ledger.tasks import build_daily
from consents.models import DailyReconciliation, RecipientType, Source, Status
from tests import factories
from tests.consents.api.support import client_for, make_api_user, official
from tests.consents.api.test_contract import assert_official, request_examples

pytestmark = pytest.mark.django_db

AGREEMENT = "/sps/{iysCode}/brands/{brandCode}/agreements/{reportDate}"
FILE = "/sps/{iysCode}/brands/{brandCode}/changes/{reportDate}/file"
SUMMARY = "/sps/{iysCode}/brands/{brandCode}/changes/{reportDate}/recipients/{recipientType}"
TIMESTAMP = AGREEMENT + "/timestamp"


def url(path, provider, brand, day, **extra):
    out = path.replace("{iysCode}", str(provider.iys_code)).replace("{brandCode}", str(brand.brand_code))
    out = out.replace("{reportDate}", str(day))
    for key, value in extra.items():
        out = out.replace("{" + key + "}", value)
    return out


@pytest.fixture
def day_of_movements(brand, move, yesterday):
    move(brand, yesterday, "09:00:00", "+905320000001")
    move(brand, yesterday, "09:00:00", "ali@ornek.com.tr", channel="EPOSTA")
    move(brand, yesterday, "10:30:00", "+905320000002", channel="ARAMA", recipient_type=RecipientType.TACIR)
    move(brand, yesterday, "11:00:00", "+905320000001", status=Status.RET, source=Source.HS_KARAR)
    move(brand, yesterday - dt.timedelta(days=1), "23:59:59", "+905320000003")  # the day before
    move(brand, yesterday + dt.timedelta(days=1), "00:00:00", "+905320000004")  # today
    return yesterday


def test_the_file_its_hash_counts_and_agreement(provider, brand, day_of_movements):
    day = day_of_movements
    api = client_for(make_api_user(provider=provider))
    # Not built yet: queued (the build is queued too), then built.
    r = api.get(url(AGREEMENT, provider, brand, day))
    assert assert_official("get", AGREEMENT, r) == {"processStatus": "queued", "agreementStatus": False}
    record = build_day(brand=brand, day=day)
    body = assert_official("get", AGREEMENT, api.get(url(AGREEMENT, provider, brand, day)))
    assert body["processStatus"] == "completed" and body["hashMethod"] == "SHA-384"
    assert body["agreementStatus"] is False and body["movementCount"] == 4
    # The file: İYS's columns, canonical order, "\n" at the end; its SHA-384 is the hashValue.
    r = api.get(url(FILE, provider, brand, day))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    content = b"".join(r.streaming_content)
    assert hashlib.sha384(content).hexdigest() == body["hashValue"] == record.file_hash
    assert content.endswith(b"\n")
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == ["creationDate", "transactionId", "recipient", "recipientType", "type", "status",
                       "consentDate", "source"]
    assert {(r[0], r[2], r[5]) for r in rows[1:3]} == {
        (f"{day} 09:00:00", "+905320000001", "ONAY"), (f"{day} 09:00:00", "ali@ornek.com.tr", "ONAY")
    }
    assert rows[1][1] < rows[2][1]  # the same second: by transactionId
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows[3:]] == [
        (f"{day} 10:30:00", "+905320000002", "TACIR", "ARAMA", "ONAY"),
        (f"{day} 11:00:00", "+905320000001", "BIREYSEL", "MESAJ", "RET"),
    ]
    assert body["seal"] == seal_of(body["hashValue"], body["chainHead"])
    # Counts per channel, HS (the business) and IYS (citizens).
    summary = assert_official("get", SUMMARY, api.get(url(SUMMARY, provider, brand, day, recipientType="BIREYSEL")))
    stats = {s["type"]: s["consents"][0] for s in summary["changeStats"]}
    assert stats["MESAJ"] == {"source": "HS", "approval": 1, "rejection": 1, "pending": 0, "total": 2}
    assert stats["EPOSTA"]["total"] == 1 and stats["ARAMA"]["total"] == 0
    tacir = api.get(url(SUMMARY, provider, brand, day, recipientType="TACIR")).json()
    assert {s["type"]: s["consents"][0]["approval"] for s in tacir["changeStats"]}["ARAMA"] == 1
    # Agreement: only `true` (H512), then captured and shown.
    for name, example in request_examples("put", AGREEMENT).items():
        r = api.call("PUT", url(AGREEMENT, provider, brand, day), example)
        assert assert_official("put", AGREEMENT, r) == {"agreementCaptured": True}, name
    r = api.call("PUT", url(AGREEMENT, provider, brand, day), {"agreementStatus": False})
    assert (r.status_code, r.json()["errors"][0]["code"]) == (422, "H512")
    assert api.get(url(AGREEMENT, provider, brand, day)).json()["agreementStatus"] is True
    record.refresh_from_db()
    assert record.agreed_by.startswith("API: ")
    stamp = api.get(url(TIMESTAMP, provider, brand, day))
    assert stamp.status_code == 200 and stamp.content[:1] == b"\x30"  # a DER TimeStampResp (test_timestamp.py)


def test_dates_as_iys(provider, brand, day_of_movements):
    api = client_for(make_api_user(provider=provider))
    for bad, code in (("06.07.2020", "H501"), ("2020-13-01", "H501"), ("2020-09-30", "H502")):
        for path in (AGREEMENT, FILE, TIMESTAMP):
            r = api.get(url(path, provider, brand, bad))
            assert (r.status_code, r.json()["errors"][0]["code"]) == (422, code), (path, bad)
            assert r.json()["errors"][0]["value"] == bad
    r = api.get(url(SUMMARY, provider, brand, day_of_movements, recipientType="TACIRR"))
    assert (r.status_code, r.json()["errors"][0]["code"]) == (422, "H116")
    # A day without movements has no file and no value.
    quiet = day_of_movements - dt.timedelta(days=3)
    assert api.get(url(AGREEMENT, provider, brand, quiet)).status_code == 204
    assert api.get(url(FILE, provider, brand, quiet)).status_code == 204
    assert api.call("PUT", url(AGREEMENT, provider, brand, quiet), {"agreementStatus": True}).status_code == 204


def test_official_422_examples_are_reproduced(provider, brand, day_of_movements):
    api = client_for(make_api_user(provider=provider))
    for path, method in ((AGREEMENT, "put"), (FILE, "get"), (SUMMARY, "get"), (TIMESTAMP, "get")):
        examples = official()["paths"][path][method]["responses"]["422"]["content"]["application/json"]["examples"]
        for name, example in examples.items():
            expected = example["value"]["errors"][0]
            day = expected.get("value", day_of_movements) if expected["location"] == ["reportDate"] else day_of_movements
            rtype = expected.get("value", "BIREYSEL") if expected["location"] == ["recipientType"] else "BIREYSEL"
            body = {"agreementStatus": False} if method == "put" else None
            r = api.call(method.upper(), url(path, provider, brand, day, recipientType=rtype), body)
            got = r.json()["errors"][0]
            assert (r.status_code, got["code"], got.get("location")) == (422, expected["code"], expected["location"])
            if expected["code"] != "H116":  # our H116 wording is the consent table's (issue 10 aligns it)
                assert got["message"] == expected["message"], name


def test_another_providers_brand_is_refused(provider, brand, day_of_movements):
    other = make_api_user(provider=factories.ProviderFactory())
    r = client_for(other).get(url(AGREEMENT, provider, brand, day_of_movements))
    assert (r.status_code, r.json()["errors"][0]["code"]) == (403, "H353")


@pytest.mark.django_db(transaction=True)
def test_nightly_build_on_a_real_worker(celery_worker, brand, move, yesterday):
    move(brand, yesterday, "08:00:00", "+905360000001")
    assert build_daily.delay(yesterday.isoformat()).get(timeout=60) == 1
    record = DailyReconciliation.objects.get(brand=brand, report_date=yesterday)
    assert record.status == "completed" and record.movements == 1 and record.chain_seq == 1


def test_the_portal_page_shows_the_days_serves_the_file_and_records_agreement(
    client, owner, provider, brand, day_of_movements, django_capture_on_commit_callbacks
):
    day = day_of_movements
    client.force_login(owner)
    page = client.get("/isletme/mutabakat/").content.decode()
    assert "Henüz hazırlanmadı" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/isletme/mutabakat/{brand.brand_code}/{day}/hazirla/")
    assert r.status_code == 302
    record = DailyReconciliation.objects.get(brand=brand, report_date=day)
    page = client.get(f"/isletme/mutabakat/?brand={brand.brand_code}").content.decode()
    assert record.file_hash in page and record.chain_head in page and "Onay bekliyor" in page
    content = b"".join(client.get(f"/isletme/mutabakat/{brand.brand_code}/{day}/dosya/").streaming_content)
    assert hashlib.sha384(content).hexdigest() == record.file_hash
    client.post(f"/isletme/mutabakat/{brand.brand_code}/{day}/onayla/")
    record.refresh_from_db()
    assert record.agreed_at is not None and record.agreed_by == owner.get_username()
    assert "Mutabakat sağlandı" in client.get("/isletme/mutabakat/").content.decode()
    # Another provider's brand is not reachable; a day outside the window neither.
    other = factories.BrandFactory()
    assert client.get(f"/isletme/mutabakat/{other.brand_code}/{day}/dosya/").status_code == 404
    assert client.get(f"/isletme/mutabakat/{brand.brand_code}/2020-01-01/dosya/").status_code == 404
