"""Normalisation of the address shapes real Turkish users type (SPEC §2)."""
import pytest

from consents.errors import ConsentRuleError
from consents.recipients import EMAIL, PHONE, normalize_recipient

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
