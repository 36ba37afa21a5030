from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from config.hygiene import TextSafeForm
from consents.errors import ConsentRuleError
from consents.recipients import Recipient, normalize_recipient


def phone_widget(*, autofocus: bool = True) -> forms.TextInput:
    # type=tel and inputmode=tel open the phone keypad; "tel" lets the browser offer the owner's number.
    attrs: dict[str, Any] = {"autocomplete": "tel", "inputmode": "tel"}
    if autofocus:
        attrs["autofocus"] = True
    widget = forms.TextInput(attrs=attrs)
    widget.input_type = "tel"
    return widget


class PhoneOrEmailForm(TextSafeForm):
    """A phone number or an e-mail address, each in its own input so each gets the right keyboard.

    `address` is the phone field but also accepts an e-mail typed there (people paste anywhere); the
    cleaned value is the normalised address of whichever was filled, in `cleaned_data["address"]`.
    """

    address = forms.CharField(
        label=_("Telefon numarası"),
        max_length=265,
        required=False,
        help_text=_("Örnek: 0532 123 45 67"),
        widget=phone_widget(),
    )
    email = forms.CharField(
        label=_("ya da e-posta adresi"),
        max_length=265,
        required=False,
        help_text=_("Örnek: ad@ornek.com"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )

    # A page may word the refusal its own way; by default the rule's own message is shown.
    invalid_message: Any = None

    def _normalise(self, raw: str, field: str) -> Recipient:
        try:
            return normalize_recipient(raw, field="address")
        except ConsentRuleError as exc:
            message = self.invalid_message or exc.message
            raise forms.ValidationError({field: forms.ValidationError(message, code=exc.code)}) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        phone = (data.get("address") or "").strip()
        email = (data.get("email") or "").strip()
        if phone and email:
            raise forms.ValidationError(
                {"email": _("Telefon numarası ya da e-posta adresinden yalnız birini yazın.")}
            )
        if not phone and not email:
            raise forms.ValidationError({"address": _("Telefon numaranızı ya da e-posta adresinizi yazın.")})
        self.recipient = self._normalise(phone, "address") if phone else self._normalise(email, "email")
        data["address"] = self.recipient.value
        return data


class AddressForm(PhoneOrEmailForm):
    pass


class CodeForm(TextSafeForm):
    code = forms.CharField(
        label=_("6 haneli kod"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*", "autofocus": True}
        ),
    )


class BrandSearchForm(TextSafeForm):
    """The add-brand page's search box (a GET form)."""

    q = forms.CharField(required=False, max_length=255)
