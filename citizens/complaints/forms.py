"""The citizen's complaint form: which of my addresses, which brand, channel, when, what it said."""
from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from providers.models import Brand, Channel

from ..channels import CHANNEL_LABELS
from ..display import display_address
from ..models import Citizen
from ..selectors import active_addresses
from .services import MESSAGE_TEXT_MAX

_CODE_AT_END = re.compile(r"\((\d+)\)\s*$")


class ComplaintForm(forms.Form):
    address = forms.ModelChoiceField(
        label=_("İletiyi alan adresiniz"),
        queryset=None,  # set per citizen in __init__
        empty_label=None,
        error_messages={"invalid_choice": _("Bu adres hesabınıza doğrulanmış bir adres değil.")},
    )
    brand = forms.CharField(
        label=_("İletiyi gönderen marka"),
        max_length=300,
        help_text=_("Marka adını veya 6 haneli marka kodunu yazın; listeden seçebilirsiniz."),
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

    def clean_brand(self) -> Brand:
        raw = " ".join(self.cleaned_data["brand"].split())
        match = _CODE_AT_END.search(raw)
        code = match.group(1) if match else (raw if raw.isdigit() else None)
        brands = Brand.objects.filter(is_active=True).select_related("provider")
        if code is not None:
            brand = brands.filter(brand_code=int(code)).first()
            if brand is None:
                raise forms.ValidationError(_("%(code)s kodlu bir marka bulunamadı.") % {"code": code})
            return brand
        found = list(brands.filter(name__iexact=raw)[:2])
        if not found:
            raise forms.ValidationError(
                _("“%(name)s” adlı bir marka bulunamadı. Marka kodunu yazmayı deneyin.") % {"name": raw}
            )
        if len(found) > 1:
            raise forms.ValidationError(_("Bu adı taşıyan birden çok marka var; lütfen marka kodunu yazın."))
        return found[0]
