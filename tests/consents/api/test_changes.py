"""The change feed (consents/changes): İYS's `after` cursor pages without gaps or repeats, even while
movements keep arriving and some of them commit later than movements recorded after them."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from consents.actors import Actor
from consents.models import ConsentEvent, Via
from consents.services import consent_record, consent_reject_by_citizen
from tests.consents.api.support import api, api_user, base, client_for, consent_body, recent  # noqa: F401


def _record(brand, n: int, *, slow: bool) -> None:
    actor = Actor.system("feed-test-writer")
    with transaction.atomic():
        consent_record(
            brand=brand,
            recipient=f"+9053{n:08d}",
            recipient_type="BIREYSEL",
            channel="MESAJ",
            status="ONAY",
            source="HS_WEB",
            consent_date=recent(),
            actor=actor,
            via=Via.API,
        )
        if slow:
            time.sleep(0.15)  # commits after faster writers' later movements


@pytest.mark.django_db(transaction=True)
def test_paging_is_gap_free_and_repeat_free_while_changes_arrive(provider, brand, api_user, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 1
    settings.API_RATE_LIMIT_PER_SECOND = 10_000
    api = client_for(api_user)
    path = f"/sps/{provider.iys_code}/brands/{brand.brand_code}/consents/changes?source=HS&limit=7"
    done = threading.Event()

    def writer(start: int, slow: bool) -> None:
        try:
            for n in range(start, start + 40):
                _record(brand, n, slow=slow)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=(0, True)),
        threading.Thread(target=writer, args=(1000, False)),
    ]
    for t in threads:
        t.start()
    seen: list[str] = []
    after = None
    idle_since = None
    while True:
        r = api.get(path + (f"&after={after}" if after else ""))
        assert r.status_code in (200, 204), r.content
        if r.status_code == 200:
            body = r.json()
            seen.extend(row["transactionId"] for row in body["list"])
            after = body["after"]
            idle_since = None
            continue
        if not any(t.is_alive() for t in threads):
            done.set()
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 1.5:  # past the settle time: nothing left
                break
        time.sleep(0.05)
    for t in threads:
        t.join()
    expected = list(
        ConsentEvent.objects.filter(brand=brand).order_by("id").values_list("transaction_id", flat=True)
    )
    assert len(expected) == 80
    assert len(seen) == len(set(seen)), "a movement was listed twice"
    assert seen == expected, "a movement was skipped or listed out of order"


@pytest.mark.django_db
def test_source_filter_and_cursor_errors(api, base, brand, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0
    assert api.post(base + "/consents", consent_body("+905300000001")).status_code == 200
    consent_reject_by_citizen(
        brand=brand,
        recipient="+905300000001",
        channel="MESAJ",
        source="IYS_WEB",
        actor=Actor.citizen(None, "test"),
        via=Via.WEB,
    )
    iys = api.get(base + "/consents/changes").json()  # İYS's default source: citizens' own movements
    # The citizen's RET is stored for both recipient types (rule 9, issue 10): two movements.
    assert [(row["recipientType"], row["source"], row["status"]) for row in iys["list"]] == [
        ("BIREYSEL", "IYS_WEB", "RET"), ("TACIR", "IYS_WEB", "RET"),
    ]
    epoch_ms, _, tx = iys["after"].partition("_")
    assert epoch_ms.isdigit() and tx == iys["list"][-1]["transactionId"]
    assert api.get(base + "/consents/changes?after=" + iys["after"]).status_code == 204
    hs = api.get(base + "/consents/changes?source=HS").json()
    assert [row["source"] for row in hs["list"]] == ["HS_WEB"]
    assert api.get(base + "/consents/changes?source=SH").json()["errors"][0]["code"] == "H506"
    assert api.get(base + "/consents/changes?limit=1500").json()["errors"][0]["code"] == "H507"
    assert api.get(base + "/consents/changes?after=123_nope").status_code == 422


@pytest.mark.django_db
def test_the_first_page_starts_at_the_seven_day_window(api, base, brand, settings):
    import datetime as dt

    from django.utils import timezone

    settings.API_CHANGES_SETTLE_SECONDS = 0
    actor = Actor.system("feed-window-test")
    for days_ago in (20, 9, 8):  # recorded back then: outside İYS's 7-day window
        moment = timezone.now() - dt.timedelta(days=days_ago)
        consent_record(
            brand=brand,
            recipient=f"+9053000000{days_ago:02d}",
            recipient_type="BIREYSEL",
            channel="MESAJ",
            status="ONAY",
            source="HS_WEB",
            consent_date=moment - dt.timedelta(hours=1),
            actor=actor,
            via=Via.API,
            now=moment,
        )
    for n in range(3):
        assert api.post(base + "/consents", consent_body(f"+90530000010{n}")).status_code == 200
    listed = api.get(base + "/consents/changes?source=HS").json()["list"]
    assert [row["recipient"] for row in listed] == [f"+90530000010{n}" for n in range(3)]
