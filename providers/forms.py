"""Forms of the business portal (sign-in, brands, dealers, intermediary authorisations)."""
from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from consents.recipients import normalize_phone

from .models import Channel, Intermediary, Provider, RetailerKind
from .services import RetailerData


class PortalAuthenticationForm(AuthenticationForm):
    error_messages: ClassVar[dict[str, Any]] = {
        "invalid_login": _("Kullanıcı adı ya da parola hatalı. Büyük/küçük harfe dikkat ederek yeniden deneyin."),
        "inactive": _("Bu hesap devre dışı bırakılmış."),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class BrandForm(forms.Form):
    name = forms.CharField(label=_("Marka adı"), max_length=255)


def _brand_choices(brands: list) -> list[tuple[str, str]]:
    return [(str(b.brand_code), f"{b.name} ({b.brand_code})") for b in brands]


class RetailerForm(forms.Form):
    """Dealer/agency details. `brand` only when adding (a dealer never moves to another brand)."""

    brand = forms.ChoiceField(label=_("Marka"))
    name = forms.CharField(label=_("Ünvan"), max_length=255)
    kind = forms.ChoiceField(label=_("Tür"), choices=RetailerKind.choices)
    tax_number = forms.RegexField(
        label=_("Vergi / TC kimlik no"), regex=r"^\d{10,11}$", required=False,
        error_messages={"invalid": _("Vergi numarası 10, TC kimlik numarası 11 rakamdan oluşur.")},
    )
    city = forms.CharField(label=_("İl"), max_length=64, required=False)
    town = forms.CharField(label=_("İlçe"), max_length=64, required=False)
    mobile = forms.CharField(label=_("Cep telefonu"), max_length=16, required=False)
    linked_provider_code = forms.IntegerField(
        label=_("Bayinin kendi İYS numarası"), required=False, min_value=1,
        help_text=_("Bayinin kendi hizmet sağlayıcı hesabı varsa: o hesap yalnızca bu markanın izinlerini görür."),
    )

    def __init__(self, *args: Any, brands: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if brands is None:
            del self.fields["brand"]
        else:
            self.fields["brand"].choices = _brand_choices(brands)

    def clean_mobile(self) -> str:
        raw = self.cleaned_data.get("mobile") or ""
        if not raw.strip():
            return ""
        phone = normalize_phone(raw)
        if phone is None:
            raise forms.ValidationError(_("Geçerli bir telefon numarası girin (örn. 0532 123 45 67)."))
        return phone

    def clean_linked_provider_code(self) -> Provider | None:
        code = self.cleaned_data.get("linked_provider_code")
        if code in (None, ""):
            return None
        provider = Provider.objects.filter(iys_code=code, is_active=True).first()
        if provider is None:
            raise forms.ValidationError(_("Bu İYS numarasıyla etkin bir hizmet sağlayıcı bulunamadı."))
        return provider

    def retailer_data(self) -> RetailerData:
        data = self.cleaned_data
        return RetailerData(
            name=data["name"], kind=data["kind"], tax_number=data.get("tax_number") or "",
            city=data.get("city") or "", town=data.get("town") or "", mobile=data.get("mobile") or "",
            linked_provider=data.get("linked_provider_code"),
        )


class AuthorizationForm(forms.Form):
    brand = forms.ChoiceField(label=_("Marka"))
    intermediary = forms.ModelChoiceField(
        label=_("Aracı hizmet sağlayıcı"), queryset=Intermediary.objects.filter(is_active=True),
        to_field_name="code", empty_label=None,
    )
    channel = forms.ChoiceField(label=_("Kanal"), choices=Channel.choices)

    def __init__(self, *args: Any, brands: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["brand"].choices = _brand_choices(brands)
