"""Normalisation of the address shapes real Turkish users type (SPEC §2)."""
import random

import phonenumbers
import pytest
from django.utils import translation

from consents.errors import ConsentRuleError, person_message
from consents.recipients import EMAIL, PHONE, normalize_phone, normalize_recipient

VALID = [
    ("0532 123 45 67", "+905321234567", PHONE),
    ("532-123-4567", "+905321234567", PHONE),
    ("905321234567", "+905321234567", PHONE),
    ("+90 (532) 123 45 67", "+905321234567", PHONE),
    ("+905321234567", "+905321234567", PHONE),
    ("05321234567", "+905321234567", PHONE),
    ("5321234567", "+905321234567", PHONE),
    ("0090 532 123 45 67", "+905321234567", PHONE),
    ("0 (532) 123-45-67", "+905321234567", PHONE),
    ("0532.123.45.67", "+905321234567", PHONE),
    ("  0532 123 45 67\t", "+905321234567", PHONE),
    ("0532\u00a0123\u00a045\u00a067", "+905321234567", PHONE),  # non-breaking spaces from Excel
    ("０５３２１２３４５６７", "+905321234567", PHONE),  # full-width digits from a phone keyboard
    ("+90-532-123-45-67", "+905321234567", PHONE),
    ("(0212) 345 67 89", "+902123456789", PHONE),  # an Istanbul landline, fine for ARAMA
    ("0850 222 00 00", "+908502220000", PHONE),
    ("+49 151 23456789", "+4915123456789", PHONE),  # a German mobile
    # İYS warns that '+9005…' numbers are never found by intermediaries: we store the right form instead.
    ("+9005321234567", "+905321234567", PHONE),
    ("Ayse.Demir@Example.COM", "ayse.demir@example.com", EMAIL),
    ("  ali@firma.com.tr ", "ali@firma.com.tr", EMAIL),
    ("<mehmet@example.org>", "mehmet@example.org", EMAIL),
    ("mailto:zeynep+kampanya@example.com", "zeynep+kampanya@example.com", EMAIL),
    ("x@yy.zz", "x@yy.zz", EMAIL),  # İYS's shortest shape
    ("ali_veli-1.x+y@alt.example.com", "ali_veli-1.x+y@alt.example.com", EMAIL),
]

INVALID = [
    ("", "H114"),
    ("   ", "H114"),
    (None, "H114"),
    ("0532 123 45 6", "H121"),  # one digit short
    ("1234567", "H121"),
    ("+90 532 123 45 67 890 12345", "H160"),  # longer than 15 digits
    ("ayşe@örnek.com", "H120"),  # Turkish letters
    ("ali veli@example.com", "H120"),  # a space
    ("a@b.c", "H120"),  # shorter than 6 characters
    ("ali@@example.com", "H120"),
    ("ali@example", "H120"),
    ("merhaba", "H122"),
    # The numbering plan, as İYS checks it with libphonenumber: well-formed but unassigned numbers.
    ("+905001234567", "H121"),
    ("0500 123 45 67", "H121"),
    ("+902001234567", "H121"),
    ("0200 123 45 67", "H121"),
    ("+905991234567", "H121"),
    # İYS's e-mail definition: only + as a special character before the @, at least x@yy.zz.
    ("ali!veli@example.com", "H120"),
    ("ali#1@example.com", "H120"),
    ("o'brien@example.com", "H120"),
    ("a{b}@example.com", "H120"),
    ("x@y.zz", "H120"),
    ("ali@e.example.com", "H120"),
    ("ali@example.c", "H120"),
    ("x" * 260 + "@example.com", "H120"),  # longer than 265 characters
]


@pytest.mark.parametrize(("raw", "expected", "kind"), VALID)
def test_accepts_real_world_shapes(raw, expected, kind):
    recipient = normalize_recipient(raw)
    assert (recipient.value, recipient.kind) == (expected, kind)


@pytest.mark.parametrize(("raw", "code"), INVALID)
def test_refuses_with_the_iys_code(raw, code):
    with pytest.raises(ConsentRuleError) as caught:
        normalize_recipient(raw)
    assert caught.value.code == code
    assert caught.value.field == "recipient"
    assert caught.value.message_tr and caught.value.message_en


def test_turkish_letter_in_an_e_mail_is_refused_with_a_message_that_says_so():
    with pytest.raises(ConsentRuleError) as caught:
        normalize_recipient("şule@örnek.com")
    err = caught.value
    assert err.code == "H120"
    assert "Türkçe karakter" in person_message(err.code, "tr", **err.params)
    assert "Turkish letters" in person_message(err.code, "en", **err.params)
    # The API sends İYS's own text, without the hint meant for people.
    assert err.as_iys()["message"] == "Alıcı (recipient) kabul edilemedi. Geçerli bir eposta adresi giriniz."
    with translation.override("tr"):
        assert "Türkçe karakter" in err.message


def test_special_character_hint_names_the_plus():
    with pytest.raises(ConsentRuleError) as caught:
        normalize_recipient("ali!veli@example.com")
    assert "yalnızca +" in person_message(caught.value.code, "tr", **caught.value.params)


def test_turkish_numbers_agree_with_libphonenumber_for_every_four_digit_prefix():
    """The precomputed expression is libphonenumber's answer: every prefix 2000–8999, random tails."""
    rng = random.Random(20260101)
    for prefix in range(2000, 9000):
        for _ in range(3):
            national = f"{prefix}{rng.randrange(10**6):06d}"
            expected = phonenumbers.is_valid_number(phonenumbers.parse("+90" + national))
            assert (normalize_phone("0" + national) is not None) is expected, national
