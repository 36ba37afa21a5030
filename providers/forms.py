"""Forms of the business portal (sign-in, brands, dealers, intermediary authorisations)."""
from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from config.hygiene import RefusesControlCharacters, TextSafeForm
from consents.recipients import normalize_phone

from . import geo
from .models import Channel, Intermediary, Provider, RetailerKind
from .services import RetailerData, RetailerProblem, retailer_problems


class PortalAuthenticationForm(RefusesControlCharacters, AuthenticationForm):
    error_messages: ClassVar[dict[str, Any]] = {
        "invalid_login": _("Kullanıcı adı ya da parola hatalı. Büyük/küçük harfe dikkat ederek yeniden deneyin."),
        "inactive": _("Bu hesap devre dışı bırakılmış."),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class BrandForm(TextSafeForm):
    name = forms.CharField(label=_("Marka adı"), max_length=255)


def _brand_choices(brands: list) -> list[tuple[str, str]]:
    return [(str(b.brand_code), f"{b.name} ({b.brand_code})") for b in brands]


def _city_choices() -> list[tuple[str, str]]:
    return [("", _("İl seçin"))] + [(str(c.code), c.name) for c in geo.cities()]


def _town_choices() -> list[tuple[str, object]]:
    """Districts grouped by province (an <optgroup> each), so the list reads like İYS's own form."""
    groups: list[tuple[str, object]] = [("", _("İlçe seçin"))]
    for city in geo.cities():
        groups.append((city.name, [(str(t.code), t.name) for t in geo.towns(city.code)]))
    return groups


# The service's field names (İYS's) -> this form's fields.
_PROBLEM_FIELDS = {"title": "name", "name": "contact_name", "tin": "tax_number", "tckn": "tckn",
                   "city": "city", "town": "town", "kind": "kind"}


class RetailerForm(TextSafeForm):
    """Dealer/agency details as İYS requires them. `brand` only when adding (a dealer never moves brand)."""

    brand = forms.ChoiceField(label=_("Marka"))
    name = forms.CharField(label=_("Ticaret unvanı"), max_length=255)
    alias = forms.CharField(
        label=_("Bayi tanımı"), max_length=255, required=False, help_text=_("Örn. Şişli Mağazası.")
    )
    kind = forms.ChoiceField(label=_("Tür"), choices=RetailerKind.choices)
    tax_number = forms.RegexField(
        label=_("Vergi kimlik no (şahıs işletmesinde TC kimlik no)"), regex=r"^\d{10,11}$",
        error_messages={"invalid": _("Vergi numarası 10, TC kimlik numarası 11 rakamdan oluşur.")},
    )
    contact_name = forms.CharField(label=_("Bayi yetkilisinin adı soyadı"), max_length=255)
    tckn = forms.RegexField(
        label=_("Bayi yetkilisinin TC kimlik no"), regex=r"^\d{11}$",
        error_messages={"invalid": _("TC kimlik numarası 11 rakamdan oluşur.")},
    )
    city = forms.TypedChoiceField(label=_("İl"), coerce=int, choices=_city_choices)
    town = forms.TypedChoiceField(label=_("İlçe"), coerce=int, choices=_town_choices)
    mobile = forms.CharField(label=_("Cep telefonu"), max_length=16, required=False)
    linked_provider_code = forms.IntegerField(
        label=_("Bayinin kendi İYS numarası"), required=False, min_value=1,
        help_text=_("Bayinin kendi hizmet sağlayıcı hesabı varsa: o hesabın sahibi ya da yöneticisi daveti kabul "
                    "edince o hesap yalnızca bu markanın izinlerini görür."),
    )

    def __init__(self, *args: Any, brands: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if brands is None:
            del self.fields["brand"]
        else:
            self.fields["brand"].choices = _brand_choices(brands)
        for name in ("tax_number", "tckn"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The same checks as the service (check digits, district of the province), shown on their fields.
        for problem in retailer_problems(self.retailer_data()):
            self.add_error(_PROBLEM_FIELDS.get(problem.field), problem.message)
        return cleaned

    def add_problems(self, problems: list[RetailerProblem]) -> None:
        for problem in problems:
            self.add_error(_PROBLEM_FIELDS.get(problem.field), problem.message)

    def retailer_data(self) -> RetailerData:
        data = self.cleaned_data
        return RetailerData(
            name=data["name"], kind=data["kind"], alias=data.get("alias") or "",
            tax_number=data.get("tax_number") or "", contact_name=data.get("contact_name") or "",
            tckn=data.get("tckn") or "", city_code=data.get("city"), town_code=data.get("town"),
            mobile=data.get("mobile") or "",
        )

    def linked_provider(self) -> Provider | None:
        return self.cleaned_data.get("linked_provider_code")


class AuthorizationForm(TextSafeForm):
    brand = forms.ChoiceField(label=_("Marka"))
    intermediary = forms.ModelChoiceField(
        label=_("Aracı hizmet sağlayıcı"), queryset=Intermediary.objects.filter(is_active=True),
        to_field_name="code", empty_label=None,
    )
    channel = forms.ChoiceField(label=_("Kanal"), choices=Channel.choices)

    def __init__(self, *args: Any, brands: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["brand"].choices = _brand_choices(brands)
