"""Files as Turkish offices write them: Turkish headers, casing, words and dates, the export's `'`."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from consents.models import Consent

from .helpers import csv_text
from .test_engine import report_rows, run

# Also run on the embedded default's SQLite by scripts/test (marker `sqlite`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]

TR_HEADER = "Alıcı;Alıcı Tipi;Kanal;Durum;İzin Tarihi;Kaynak"


def _tr(moment: dt.datetime, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt)


def test_turkish_spellings_and_dates_are_all_accepted(brand, owner):
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    rows = [
        f"0532 100 00 01;BİREYSEL;SMS;Onay;{_tr(hour_ago, '%d.%m.%Y %H:%M')};Web sitesi",
        f"0532 100 00 02;bireysel;Mesaj;onay;{_tr(hour_ago, '%d.%m.%Y %H:%M:%S')};HS_WEB",
        f"0532 100 00 03;Tacir;Arama;ONAY;{_tr(hour_ago, '%d/%m/%Y %H:%M')};Çağrı merkezi",
        f"0532 100 00 04;TACİR;Sesli arama;Onay;{_tr(hour_ago, '%d/%m/%Y %H:%M:%S')};ISLAK İMZA",
        f"ali@example.com;Bireysel;E-posta;Onay;{_tr(hour_ago, '%d.%m.%Y')};e-posta",
        f"veli@example.com;Bireysel;Eposta;Onay;{_tr(hour_ago, '%d/%m/%Y')};hs_eposta",
        f"can@example.com;Bireysel;e-mail;Onay;{_tr(hour_ago, '%Y-%m-%d %H:%M:%S')};HS_EPOSTA",
        f"'+905321000008;BIREYSEL;MESAJ;ONAY;{_tr(hour_ago, '%Y-%m-%d %H:%M:%S')};HS_WEB",
    ]
    upload = run(brand, owner, csv_text(*rows, header=TR_HEADER))
    assert (upload.inserted, upload.refused) == (8, 0), report_rows(upload)
    first = Consent.objects.get(recipient="+905321000001")
    assert (first.recipient_type, first.channel, first.status, first.source) == ("BIREYSEL", "MESAJ", "ONAY", "HS_WEB")
    assert timezone.localtime(first.consent_date).strftime("%d.%m.%Y %H:%M") == _tr(hour_ago, "%d.%m.%Y %H:%M")
    assert Consent.objects.get(recipient="+905321000004").source == "HS_ISLAK_IMZA"
    assert set(Consent.objects.filter(channel="EPOSTA").values_list("source", flat=True)) == {"HS_EPOSTA"}
    assert Consent.objects.filter(recipient="+905321000008").exists()


def test_refused_values_are_quoted_as_typed_under_the_persons_own_column(brand, owner):
    hour_ago = _tr(timezone.now() - dt.timedelta(hours=1), "%d.%m.%Y %H:%M")
    future = _tr(timezone.now() + dt.timedelta(days=2), "%d.%m.%Y %H:%M")
    upload = run(brand, owner, csv_text(
        f"0532 100 00 01;BİREYSELL;SMS;Onay;{hour_ago};Web sitesi",
        f"0532 100 00 02;Bireysel;Faks;Onay;{hour_ago};Web sitesi",
        f"0532 100 00 03;Bireysel;SMS;Onay;{future};Web sitesi",
        "0532 100 00 04;Bireysel;SMS;Onay;31.02.2026 10:00;Web sitesi",
        f"0532 100 00 05;Bireysel;SMS;Onay;{hour_ago};Faks",
        f"0532 100 00 06;Bireysel;SMS;ret;{hour_ago};Web sitesi",
        header=TR_HEADER,
    ))
    rows = report_rows(upload)
    assert [(r["line"], r["field"], r["value"], r["code"]) for r in rows] == [
        ("2", "Alıcı Tipi", "BİREYSELL", "H116"),
        ("3", "Kanal", "Faks", "H117"),
        ("4", "İzin Tarihi", future, "H162"),
        ("5", "İzin Tarihi", "31.02.2026 10:00", "H157"),
        ("6", "Kaynak", "Faks", "H119"),
        ("7", "Durum", "ret", "H175"),  # decided by the database, still quoted as typed
    ]
    assert rows[0]["message_tr"] == (
        "“BİREYSELL” bir alıcı tipi olarak tanınmadı. Yazılabilecekler: Bireysel, Tacir (ya da Esnaf)."
    )
    assert "Mesaj (ya da SMS)" in rows[1]["message_tr"] and "E-posta" in rows[1]["message_tr"]
    assert "Web sitesi (HS_WEB)" in rows[4]["message_tr"]
    assert rows[0]["message_en"].startswith("“BİREYSELL” is not a recipient type")
