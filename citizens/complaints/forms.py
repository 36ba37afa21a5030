"""The citizen's complaint form: which of my addresses, which brand, channel, when, what it said."""
from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from config.hygiene import TextSafeForm
from providers.models import Brand, Channel

from ..channels import CHANNEL_LABELS
from ..display import display_address
from ..models import Citizen
from ..selectors import active_addresses
from .services import MESSAGE_TEXT_MAX

_CODE_AT_END = re.compile(r"\((\d+)\)\s*$")
# Brand codes fit in 9 digits; a longer run of digits is a phone number, never looked up as a code.
BRAND_CODE_DIGITS = 9


class ComplaintForm(TextSafeForm):
    address = forms.ModelChoiceField(
        label=_("İletiyi alan adresiniz"),
        queryset=None,  # set per citizen in __init__
        empty_label=None,
        error_messages={"invalid_choice": _("Bu adres hesabınıza doğrulanmış bir adres değil.")},
    )
    brand = forms.CharField(
        label=_("İletiyi gönderen"),
        max_length=300,
        help_text=_(
            "Kayıtlı bir markanın adını ya da 6 haneli kodunu listeden seçin; marka listede yoksa iletide "
            "gördüğünüz gönderici adını, kısa numarayı ya da telefon numarasını yazın."
        ),
        widget=forms.TextInput(attrs={"list": "brand-options", "autocomplete": "off"}),
    )
    channel = forms.ChoiceField(label=_("Kanal"), choices=[(c, CHANNEL_LABELS[c]) for c in Channel.values])
    received_at = forms.DateTimeField(
        label=_("İletiyi aldığınız tarih ve saat"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    message_text = forms.CharField(
        label=_("İleti metni"),
        max_length=MESSAGE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("İletinin metnini kopyalayın ya da hatırladığınız kadarını yazın."),
    )

    def __init__(self, *args: object, citizen: Citizen, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["address"].queryset = active_addresses(citizen).order_by("kind", "value")
        self.fields["address"].label_from_instance = lambda a: display_address(a.value)

    def clean(self) -> dict[str, Any]:
        """`brand` becomes the registered Brand it names, or None with `sender_text` holding what was typed."""
        data = super().clean()
        raw = " ".join((data.get("brand") or "").split())
        if not raw:
            return data
        data["brand"], data["sender_text"] = self._sender(raw)
        return data

    def _sender(self, raw: str) -> tuple[Brand | None, str]:
        brands = Brand.objects.filter(is_active=True).select_related("provider")
        match = _CODE_AT_END.search(raw)
        code = match.group(1) if match else (raw if raw.isdigit() else None)
        if code is not None and len(code) <= BRAND_CODE_DIGITS:
            brand = brands.filter(brand_code=int(code)).first()
            if brand is not None:
                return brand, ""
        found = list(brands.filter(name__iexact=raw)[:2])
        if len(found) > 1:
            self.add_error("brand", _("Bu adı taşıyan birden çok marka var; lütfen marka kodunu yazın."))
            return None, ""
        if found:
            return found[0], ""
        # Not a registered brand: the commonest spam. Keep what the citizen saw (name, short code, number).
        return None, raw
