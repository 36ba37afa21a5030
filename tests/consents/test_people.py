"""People's habits (consents.people): Turkish casing, channel words, source labels, dates, the `'` prefix."""
from __future__ import annotations

import datetime as dt

import pytest

from consents import people
from consents.errors import ConsentRuleError


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("BİREYSEL", "BIREYSEL"), ("bireysel", "BIREYSEL"), ("Bireysel", "BIREYSEL"), (" BIREYSEL ", "BIREYSEL"),
     ("Tacir", "TACIR"), ("TACİR", "TACIR"), ("tacir", "TACIR"), ("Esnaf", "TACIR")],
)
def test_recipient_types_in_any_turkish_casing(typed, canonical):
    assert people.RECIPIENT_TYPES(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("Onay", "ONAY"), ("onay", "ONAY"), ("ONAY", "ONAY"), ("ret", "RET"), ("Ret", "RET"), ("RED", "RET")],
)
def test_statuses(typed, canonical):
    assert people.STATUSES(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("SMS", "MESAJ"), ("sms", "MESAJ"), ("Mesaj", "MESAJ"), ("MESAJ", "MESAJ"),
     ("Arama", "ARAMA"), ("Sesli arama", "ARAMA"), ("SESLİ ARAMA", "ARAMA"),
     ("E-posta", "EPOSTA"), ("Eposta", "EPOSTA"), ("e-mail", "EPOSTA"), ("E-POSTA", "EPOSTA")],
)
def test_channel_words(typed, canonical):
    assert people.CHANNELS(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("HS_WEB", "HS_WEB"), ("hs_web", "HS_WEB"), ("Web sitesi", "HS_WEB"), ("WEB SİTESİ", "HS_WEB"),
     ("Web sitesi (HS_WEB)", "HS_WEB"), ("Çağrı merkezi", "HS_CAGRI_MERKEZI"), ("çağrı merkezi", "HS_CAGRI_MERKEZI"),
     ("Islak imza", "HS_ISLAK_IMZA"), ("ISLAK İMZA", "HS_ISLAK_IMZA"), ("Fiziksel ortam", "HS_FIZIKSEL_ORTAM"),
     ("1 Mayıs 2015 öncesi", "HS_2015"), ("Hizmet sağlayıcı kararı", "HS_KARAR"), ("IYS_WEB", "IYS_WEB")],
)
def test_sources_by_code_or_by_the_label_the_portal_shows(typed, canonical):
    assert people.SOURCES(typed) == canonical


def test_unknown_words_are_handed_on_as_typed():
    assert people.RECIPIENT_TYPES("KURUM") == "KURUM"
    assert people.CHANNELS("Faks") == "Faks"
    assert people.SOURCES("HS_FAKS") == "HS_FAKS"
    assert people.STATUSES(None) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("30.11.2026 14:30", (2026, 11, 30, 14, 30, 0)), ("30.11.2026 14:30:05", (2026, 11, 30, 14, 30, 5)),
     ("30.11.2026", (2026, 11, 30, 0, 0, 0)), ("30/11/2026 14:30", (2026, 11, 30, 14, 30, 0)),
     ("30/11/2026 14:30:05", (2026, 11, 30, 14, 30, 5)), ("30/11/2026", (2026, 11, 30, 0, 0, 0)),
     ("1.2.2026 9:05", (2026, 2, 1, 9, 5, 0)), ("2026-11-30 14:30:00", (2026, 11, 30, 14, 30, 0)),
     ("2026-11-30T14:30", (2026, 11, 30, 14, 30, 0)), ("2026-11-30", (2026, 11, 30, 0, 0, 0)),
     ("'30.11.2026 14:30", (2026, 11, 30, 14, 30, 0))],
)
def test_dates_as_turkish_offices_write_them_are_turkish_time(typed, expected):
    moment = people.read_date(typed)
    assert moment.timetuple()[:6] == expected
    assert moment.utcoffset() == dt.timedelta(hours=3)


def test_spreadsheet_dates_are_taken_as_they_are():
    assert people.read_date(dt.datetime(2026, 11, 30, 14, 30)).utcoffset() == dt.timedelta(hours=3)
    assert people.read_date(dt.date(2026, 11, 30)).hour == 0


def test_a_date_of_the_right_shape_that_does_not_exist_is_h157():
    with pytest.raises(ConsentRuleError) as caught:
        people.read_date("30.02.2026 10:00")
    assert (caught.value.code, caught.value.value) == ("H157", "30.02.2026 10:00")


@pytest.mark.parametrize("typed", ["dün", "30-11-2026", "11/30/26", "30.11.2026 25", ""])
def test_other_shapes_are_left_for_the_rules_to_refuse(typed):
    assert people.read_date(typed) == typed


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("'+905321112233", "+905321112233"), ("'=1+1", "=1+1"), ("'-5", "-5"), ("'@x", "@x"), ("'0532", "0532"),
     ("'abc", "'abc"), ("'", "'"), (" '+90532 ", "+90532")],
)
def test_one_leading_quote_before_a_formula_or_a_number_is_dropped(typed, expected):
    assert people.read_text(typed) == expected


def test_a_refusal_quotes_what_was_typed_and_the_accepted_words_in_turkish():
    tr = people.refusal_text("H116", "BİREYSELL", "tr")
    assert tr == "“BİREYSELL” bir alıcı tipi olarak tanınmadı. Yazılabilecekler: Bireysel, Tacir (ya da Esnaf)."
    assert "Mesaj (ya da SMS)" in people.refusal_text("H117", "Faks", "tr")
    assert "“Faks” is not a channel" in people.refusal_text("H117", "Faks", "en")
    assert "Web sitesi (HS_WEB)" in people.refusal_text("H119", "HS_FAKS", "tr")
    # Without a value (the summary by code) the words still say what is accepted.
    assert people.refusal_text("H116", None, "tr") == (
        "Tanınmayan alıcı tipi. Yazılabilecekler: Bireysel, Tacir (ya da Esnaf)."
    )
    # Codes without a plain text keep İYS's message.
    assert people.refusal_text("H175", "RET", "tr").startswith("İlk defa kaydedilen")
