"""Forms of the public opt-out pages (no account): address, code, channels."""
from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from consents.errors import ConsentRuleError
from consents.recipients import Recipient, normalize_recipient

from ..channels import CHANNEL_LABELS


class OptoutAddressForm(forms.Form):
    address = forms.CharField(
        label=_("Telefon numaranız veya e-posta adresiniz"),
        max_length=300,
        help_text=_("Örnek: 0532 123 45 67 veya ad@ornek.com"),
        widget=forms.TextInput(attrs={"autocomplete": "tel email", "inputmode": "email", "autofocus": True}),
    )

    def clean_address(self) -> Recipient:
        try:
            return normalize_recipient(self.cleaned_data["address"])
        except ConsentRuleError as exc:
            raise forms.ValidationError(
                _("Geçerli bir telefon numarası (örn. 0532 123 45 67) veya e-posta adresi girin.")
            ) from exc


class OptoutCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Doğrulama kodu"),
        max_length=12,
        help_text=_("Size gönderilen 6 haneli kod."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )


class OptoutChannelsForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("Hangi kanallardan ileti almak istemiyorsunuz?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("En az bir kanal seçin.")},
    )

    def __init__(self, *args: object, channels: Sequence[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["channels"].choices = [(c, CHANNEL_LABELS[c]) for c in channels]
        self.fields["channels"].initial = list(channels)
