"""The upload engine on PostgreSQL: counts, history, duplicates, dry run, idempotency, resume, report."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from consents.models import ActorKind, Consent, ConsentEvent, Upload, UploadRefusal, UploadState, Via
from consents.uploads import engine
from consents.uploads.services import upload_process
from tests import factories
from tests.consents.test_spreadsheets import EVIL

from .helpers import csv_text, make_upload, recent

# Also run on the embedded default's SQLite by scripts/test (marker `sqlite`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def report_rows(upload: Upload) -> list[dict[str, str]]:
    upload.report.open("rb")
    try:
        text = upload.report.read().decode("utf-8-sig")
    finally:
        upload.report.close()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    # The report's columns are Turkish; the tests read them by their meaning.
    assert header == ["Satır", "Sütun", "Yazılan değer", "Kod", "Açıklama", "Açıklama (English)"]
    keys = ["line", "field", "value", "code", "message_tr", "message_en"]
    return [dict(zip(keys, row)) for row in reader]


def run(brand, user, text: str, **kwargs) -> Upload:
    upload = make_upload(brand=brand, user=user, content=text, dry_run=kwargs.pop("dry_run", False))
    result = upload_process(upload_id=upload.pk, **kwargs)
    assert result is not None
    return result


def test_valid_rows_become_consents_with_history_naming_the_uploader(brand, owner):
    d = recent()
    upload = run(brand, owner, csv_text(
        f"0532 123 45 67,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"+90 (532) 123 45 67,BIREYSEL,ARAMA,ONAY,{d},HS_CAGRI_MERKEZI",
        f"Ali.Veli@Example.COM,BIREYSEL,EPOSTA,ONAY,{d},HS_EPOSTA",
        "5321112233,TACIR,MESAJ,ONAY,,",
    ))
    assert upload.state == UploadState.DONE
    assert (upload.inserted, upload.updated, upload.unchanged, upload.refused) == (4, 0, 0, 0)
    assert upload.rows_processed == 4 and upload.percent == 100
    keys = set(Consent.objects.filter(brand=brand).values_list("recipient", "channel", "status"))
    assert keys == {
        ("+905321234567", "MESAJ", "ONAY"), ("+905321234567", "ARAMA", "ONAY"),
        ("ali.veli@example.com", "EPOSTA", "ONAY"), ("+905321112233", "MESAJ", "ONAY"),
    }
    events = list(ConsentEvent.objects.filter(brand=brand))
    assert len(events) == 4
    assert {(e.actor_kind, e.actor_user_id, e.via, e.action) for e in events} == {
        (ActorKind.PROVIDER, owner.pk, Via.UPLOAD, "CREATE")
    }
    assert len({e.transaction_id for e in events}) == 4
    for consent in Consent.objects.filter(brand=brand):
        assert consent.events.get().transaction_id == consent.transaction_id
    tacir = Consent.objects.get(brand=brand, recipient="+905321112233")
    assert tacir.source is None  # a TACIR first record may omit source and date (rule 8)
    # The report exists and holds only its header.
    assert report_rows(upload) == []


def test_status_changes_and_refusals_by_stored_state(brand, owner):
    stored_at = (timezone.localtime() - dt.timedelta(hours=20)).strftime("%Y-%m-%d %H:%M:%S")
    run(brand, owner, csv_text(
        f"05321234567,BIREYSEL,MESAJ,ONAY,{stored_at},HS_WEB",
        f"05321234568,BIREYSEL,MESAJ,ONAY,{stored_at},HS_WEB",
        f"05321234569,TACIR,MESAJ,ONAY,{stored_at},HS_WEB",
        f"05321234570,TACIR,MESAJ,ONAY,{stored_at},HS_WEB",
    ))
    older = (timezone.localtime() - dt.timedelta(hours=22)).strftime("%Y-%m-%d %H:%M:%S")
    d = recent()
    upload = run(brand, owner, csv_text(
        f"05321234567,BIREYSEL,MESAJ,RET,{d},HS_WEB",  # change
        f"05321234568,BIREYSEL,MESAJ,RET,{older},HS_WEB",  # H178: not later than stored
        "05321234569,TACIR,MESAJ,RET,,HS_WEB",  # H462: TACIR update needs a date
        f"05321234570,TACIR,MESAJ,RET,{d},",  # H463: TACIR update needs a source
        f"05329999999,BIREYSEL,MESAJ,RET,{d},HS_WEB",  # H175: first record RET
        f"05329999998,BIREYSEL,MESAJ,RET,{d},HS_KARAR",  # H408: HS_KARAR never first
        f"05321234567,BIREYSEL,ARAMA,ONAY,{d},HS_KARAR",  # H408: HS_KARAR only RET (static)
    ))
    assert (upload.inserted, upload.updated, upload.unchanged, upload.refused) == (0, 1, 0, 6)
    assert upload.refusals_by_code == {"H178": 1, "H462": 1, "H463": 1, "H175": 1, "H408": 2}
    changed = Consent.objects.get(brand=brand, recipient="+905321234567", channel="MESAJ")
    assert changed.status == "RET"
    event = changed.events.order_by("-id").first()
    assert (event.action, event.previous_status, event.status) == ("CHANGE", "ONAY", "RET")
    rows = report_rows(upload)
    assert [(r["line"], r["field"], r["code"]) for r in rows] == [
        ("3", "consentDate", "H178"), ("4", "consentDate", "H462"), ("5", "source", "H463"),
        ("6", "status", "H175"), ("7", "source", "H408"), ("8", "status", "H408"),
    ]
    h178 = rows[0]
    assert stored_at in h178["message_en"]  # names the date already recorded
    assert "Sistemdeki iznin tarihinden önceki" in h178["message_tr"]
    assert Consent.objects.get(brand=brand, recipient="+905321234568").status == "ONAY"


def test_duplicate_keys_in_one_file_are_reported_for_later_occurrences(brand, owner):
    d = recent()
    upload = run(brand, owner, csv_text(
        f"0532 123 45 67,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"ali@example.com,BIREYSEL,EPOSTA,ONAY,{d},HS_WEB",
        f"+905321234567,BIREYSEL,MESAJ,ONAY,{d},HS_MOBIL",  # same key, other shape
        f"+905321234567,TACIR,MESAJ,ONAY,{d},HS_WEB",  # other recipient type: another key
        f"ALI@example.com,BIREYSEL,EPOSTA,ONAY,{d},HS_WEB",
        f"905321234567,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
    ), chunk_rows=2)  # the duplicates span chunks too
    assert (upload.inserted, upload.refused) == (3, 3)
    assert upload.refusals_by_code == {"H194": 3}
    rows = report_rows(upload)
    assert [(r["line"], r["code"]) for r in rows] == [("4", "H194"), ("6", "H194"), ("7", "H194")]
    assert "ilk geçtiği satır: 2" in rows[0]["message_tr"] and "first seen on line 2" in rows[0]["message_en"]
    assert "ilk geçtiği satır: 3" in rows[1]["message_tr"]
    assert Consent.objects.filter(brand=brand).count() == 3


def test_dry_run_reports_the_same_and_stores_nothing(brand, owner):
    d = recent()
    run(brand, owner, csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{d},HS_WEB"))
    consents_before = list(Consent.objects.values_list("id", "status", "transaction_id"))
    events_before = ConsentEvent.objects.count()
    newer = recent(1)
    text = csv_text(
        f"05321234567,BIREYSEL,MESAJ,RET,{newer},HS_WEB",
        f"05321234568,BIREYSEL,MESAJ,ONAY,{newer},HS_WEB",
        f"05321234568,BIREYSEL,MESAJ,ONAY,{newer},HS_WEB",
        f"05321234569,BIREYSEL,MESAJ,RET,{newer},HS_WEB",
        f"bozuk,BIREYSEL,MESAJ,ONAY,{newer},HS_WEB",
    )
    dry = run(brand, owner, text, dry_run=True)
    assert dry.state == UploadState.DONE
    assert list(Consent.objects.values_list("id", "status", "transaction_id")) == consents_before
    assert ConsentEvent.objects.count() == events_before
    applied = run(brand, owner, text)
    summary = lambda u: (u.inserted, u.updated, u.unchanged, u.refused, u.refusals_by_code)
    assert summary(dry) == summary(applied) == (1, 1, 0, 3, {"H194": 1, "H175": 1, "H122": 1})
    assert [(r["line"], r["code"]) for r in report_rows(dry)] == [(r["line"], r["code"]) for r in report_rows(applied)]


def test_the_same_file_twice_changes_nothing_the_second_time(brand, owner):
    d = recent()
    text = csv_text(
        f"05321234567,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"ali@example.com,BIREYSEL,EPOSTA,ONAY,{d},HS_WEB",
        f"05321234568,TACIR,ARAMA,ONAY,{d},HS_WEB",
        f"bozuk,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
    )
    first = run(brand, owner, text)
    state = list(Consent.objects.order_by("id").values())
    events = ConsentEvent.objects.count()
    second = run(brand, owner, text)
    assert (first.inserted, first.unchanged, first.refused) == (3, 0, 1)
    assert (second.inserted, second.updated, second.unchanged, second.refused) == (0, 0, 3, 1)
    assert list(Consent.objects.order_by("id").values()) == state
    assert ConsentEvent.objects.count() == events


def test_running_a_finished_upload_again_does_nothing(brand, owner):
    upload = run(brand, owner, csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB"))
    finished_at = upload.finished_at
    assert upload_process(upload_id=upload.pk) is None
    upload.refresh_from_db()
    assert upload.finished_at == finished_at and upload.inserted == 1
    assert ConsentEvent.objects.count() == 1


def test_a_crashed_run_resumes_after_its_last_committed_chunk(brand, owner):
    d = recent()
    text = csv_text(
        f"05321234561,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"05321234562,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"05321234563,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"bozuk,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"05321234561,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",  # duplicate of a row committed before the crash
        f"05321234566,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
    )
    upload = make_upload(brand=brand, user=owner, content=text)
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.RUNNING, started_at=timezone.now())
    upload.refresh_from_db()

    class CrashAfterFirstChunk:
        def __init__(self, context):
            self.context = context
            self.inner = engine.default_applier(context)
            self.chunks = 0

        def start(self):
            self.inner.start()

        def submit(self, chunk):
            if self.chunks == 1:
                raise KeyboardInterrupt("worker killed")
            self.chunks += 1
            self.inner.submit(chunk)
            self.inner.finish()  # make sure the first chunk is committed before the "crash"
            self.inner = engine.default_applier(self.context)
            self.inner.start()

        def finish(self):
            self.inner.finish()

        def close(self):
            self.inner.close()

    with pytest.raises(KeyboardInterrupt):
        engine.run_upload(upload, chunk_rows=2, applier_factory=CrashAfterFirstChunk)
    upload.refresh_from_db()
    assert upload.state == UploadState.RUNNING and upload.resume_line == 3
    assert upload.inserted == 2 and Consent.objects.count() == 2

    resumed = upload_process(upload_id=upload.pk, chunk_rows=2)
    assert resumed.state == UploadState.DONE
    assert (resumed.inserted, resumed.updated, resumed.unchanged, resumed.refused) == (4, 0, 0, 2)
    assert resumed.refusals_by_code == {"H122": 1, "H194": 1}
    assert Consent.objects.count() == 4 and ConsentEvent.objects.count() == 4
    assert [(r["line"], r["code"]) for r in report_rows(resumed)] == [("5", "H122"), ("6", "H194")]


def test_retailer_codes_are_resolved_and_unknown_ones_refused(brand, owner):
    retailer = factories.RetailerFactory(brand=brand)
    other_brand_retailer = factories.RetailerFactory()
    d = recent()
    header = "recipient;recipientType;type;status;consentDate;source;retailerCode"
    upload = run(brand, owner, csv_text(
        f"05321234567;BIREYSEL;MESAJ;ONAY;{d};HS_FIZIKSEL_ORTAM;{retailer.code}",
        f"05321234568;BIREYSEL;MESAJ;ONAY;{d};HS_FIZIKSEL_ORTAM;{other_brand_retailer.code}",
        f"05321234569;BIREYSEL;MESAJ;ONAY;{d};HS_FIZIKSEL_ORTAM;abc",
        f"05321234570;BIREYSEL;MESAJ;ONAY;{d};HS_FIZIKSEL_ORTAM;",
        header=header,
    ))
    assert (upload.inserted, upload.refused) == (2, 2)
    assert upload.refusals_by_code == {"H180": 2}
    assert Consent.objects.get(recipient="+905321234567").retailer == retailer
    assert ConsentEvent.objects.get(recipient="+905321234567").retailer == retailer
    assert Consent.objects.get(recipient="+905321234570").retailer is None


def test_report_lists_every_refused_row_with_both_languages_and_neutralised_values(brand, owner):
    d = recent()
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    upload = run(brand, owner, csv_text(
        f"=HYPERLINK(\"x\"),BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"05321234567,BIREYSEL,FAKS,ONAY,{d},HS_WEB",
        f"05321234567,BIREYSEL,MESAJ,ONAY,{future},HS_WEB",
        f"05321234567,BIREYSEL,MESAJ,ONAY,{d},IYS_WEB",
        f"ali@example.com,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
        f"05321234567,KURUM,MESAJ,ONAY,{d},HS_WEB",
        "05321234567,BIREYSEL,MESAJ,ONAY,2024/02/01,HS_WEB",
    ))
    rows = report_rows(upload)
    assert [(r["line"], r["field"], r["code"]) for r in rows] == [
        ("2", "recipient", "H122"), ("3", "type", "H117"), ("4", "consentDate", "H162"),
        ("5", "source", "ILT002"), ("6", "recipient", "H464"), ("7", "recipientType", "H116"),
        ("8", "consentDate", "H158"),
    ]
    assert rows[0]["value"].startswith("'=")  # a formula would not run in a spreadsheet
    assert rows[1]["value"] == "FAKS"
    assert all(r["message_tr"] and r["message_en"] and r["message_tr"] != r["message_en"] for r in rows)
    assert UploadRefusal.objects.filter(upload=upload).count() == 7


def test_report_keeps_a_dealer_column_written_like_a_formula_inert(brand, owner):
    header = "recipient,recipientType,type,status,consentDate,source,retailerCode"
    quoted = '"' + EVIL.replace('"', '""') + '"'
    upload = run(brand, owner, csv_text(f"05321234567,BIREYSEL,MESAJ,ONAY,{recent()},HS_WEB,{quoted}", header=header))
    [row] = report_rows(upload)
    assert row["field"] == "retailerCode" and row["value"] == "'" + EVIL
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_a_whole_file_problem_fails_the_upload_and_stores_nothing(brand, owner):
    upload = make_upload(brand=brand, user=owner, content=b"PK\x03\x04" + b"\x00" * 100, name="izinler.xlsx")
    result = upload_process(upload_id=upload.pk)
    assert result.state == UploadState.FAILED
    assert "Excel (.xlsx) çalışma kitabı değil" in result.error_message
    assert "not a readable Excel (.xlsx) workbook" in result.error_message_en
    assert Consent.objects.count() == 0 and UploadRefusal.objects.count() == 0
