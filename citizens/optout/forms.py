"""Forms of the public opt-out pages (no account): address, code, channels."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from config.hygiene import TextSafeForm

from ..channels import CHANNEL_LABELS
from ..forms import PhoneOrEmailForm


class OptoutAddressForm(PhoneOrEmailForm):
    invalid_message = _("Geçerli bir telefon numarası (örn. 0532 123 45 67) veya e-posta adresi girin.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            data["address"] = self.recipient  # the views need the kind as well as the value
        return data


class OptoutCodeForm(TextSafeForm):
    code = forms.CharField(
        label=_("Doğrulama kodu"),
        max_length=12,
        help_text=_("Size gönderilen 6 haneli kod."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )


class OptoutChannelsForm(TextSafeForm):
    channels = forms.MultipleChoiceField(
        label=_("Hangi kanallardan ileti almak istemiyorsunuz?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("En az bir kanal seçin.")},
    )

    def __init__(self, *args: object, channels: Sequence[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["channels"].choices = [(c, CHANNEL_LABELS[c]) for c in channels]
        self.fields["channels"].initial = list(channels)
