from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from consents.errors import ConsentRuleError
from consents.recipients import normalize_recipient


class AddressForm(forms.Form):
    address = forms.CharField(
        label=_("Telefon numarası veya e-posta adresi"),
        max_length=265,
        help_text=_("Örnek: 0532 123 45 67 veya ad@ornek.com"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email", "autofocus": True}),
    )

    def clean_address(self) -> str:
        try:
            return normalize_recipient(self.cleaned_data["address"], field="address").value
        except ConsentRuleError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6 haneli kod"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*", "autofocus": True}
        ),
    )
