"""Text that cannot be stored or shown safely is refused at the edge, on the field that carries it.

NUL (PostgreSQL text cannot hold it), the other C0 control characters, DEL and lone UTF-16 surrogates (they
cannot be encoded to UTF-8, so neither stored nor echoed) are refused in every form field and in every value
the API receives. Tab, CR and LF are accepted only where the text may span lines (a Textarea).

Forms get this from `RefusesControlCharacters` (tests/test_hygiene.py checks that every form of the project
has it); the API from consents/api/hygiene.py, which uses the same `forbidden_character`.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SINGLE_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of `value` that text may not contain, or None."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    return found.group() if found else None


def describe(character: str) -> str:
    """How a message names the character: U+0000."""
    return f"U+{ord(character):04X}"


def printable(value: str) -> str:
    """`value` with every forbidden character replaced by U+FFFD, safe to echo back and to encode."""
    return _SINGLE_LINE.sub("\ufffd", value)


MESSAGE = _("Bu alan kontrol karakteri içeremez (%(character)s). Metni yeniden yazıp tekrar deneyin.")


def _check_raw(value: Any, *, multiline: bool) -> None:
    values = value if isinstance(value, (list, tuple)) else [value]
    for item in values:
        if isinstance(item, str):
            character = forbidden_character(item, multiline=multiline)
            if character is not None:
                raise ValidationError(MESSAGE, code="control_character", params={"character": describe(character)})


def _guard(field: forms.Field) -> None:
    if isinstance(field, forms.FileField):
        return  # a file's bytes are its own business (the upload parser judges them)
    multiline = isinstance(field.widget, forms.Textarea)
    original = field.clean

    def clean(value: Any, *args: Any, **kwargs: Any) -> Any:
        # Before the field's own cleaning: a lookup (choices, a model by key) never sees the bad text.
        _check_raw(value, multiline=multiline)
        return original(value, *args, **kwargs)

    field.clean = clean  # type: ignore[method-assign]


class RefusesControlCharacters:
    """Form mixin: every field refuses control characters with a message on that field.

    Fields are deep-copied per form instance, so guarding them in __init__ touches no other form.
    """

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            _guard(field)


class TextSafeForm(RefusesControlCharacters, forms.Form):
    """The base of the project's forms."""


class AdminLoginForm(RefusesControlCharacters, AdminAuthenticationForm):
    """The admin's sign-in form (config/urls.py sets it on the admin site)."""
