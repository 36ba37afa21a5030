"""Forms of the portal's consent pages: the search/filter form and the single-consent form.

The single-consent form deliberately does no rule checking of its own: it hands the raw values to
``consents.services.consent_record`` so the web form, the upload and the API refuse the same input
with the same code and words, and maps each ConsentRuleError to the field it is about.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.hygiene import TextSafeForm
from consents import people
from consents.errors import ConsentRuleError, h464
from consents.models import PROVIDER_SOURCES, Consent, RecipientType, Source, Status
from consents.recipients import EMAIL, normalize_recipient, try_normalize
from consents.rules import ISTANBUL, parse_consent_date
from consents.selectors import consents_visible_q, events_visible_q
from providers.context import BrandAccess
from providers.models import Channel

REVIEW_UNDER = "under_review"
REVIEW_FINAL = "finalised"
REVIEW_NONE = "none"
REVIEW_CHOICES = [
    ("", _("Tümü")),
    (REVIEW_UNDER, _("İnceleme süresinde")),
    (REVIEW_FINAL, _("Kesinleşmiş beyan")),
    (REVIEW_NONE, _("Beyan dışı (inceleme süresi yok)")),
]

_RECIPIENT_TYPES = frozenset(RecipientType.values)
_CHANNELS = frozenset(Channel.values)
_STATUSES = frozenset(Status.values)
_READERS = {
    "recipient_type": people.RECIPIENT_TYPES, "channel": people.CHANNELS, "status": people.STATUSES,
    "source": people.SOURCES,
}

# ConsentRuleError.field (İYS's JSON names) -> form field.
ERROR_FIELDS = {
    "recipient": "recipient",
    "status": "status",
    "source": "source",
    "consentDate": "consent_date",
    "type": "channel",
    "recipientType": "recipient_type",
    "retailerCode": "retailer_code",
    "brandCode": "brand",
    "evidenceNote": "evidence_note",
}


def _all(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("Tümü")), *choices]


def dealer_brands(accesses: list[BrandAccess]) -> dict[int, int]:
    """Brands served as dealer -> the dealer (retailer) the acting provider is for them."""
    return {a.brand.pk: a.retailer.pk for a in accesses if a.retailer is not None}


def visible_consents_q(accesses: list[BrandAccess]) -> Q:
    """Own brands' consents, and of a dealer's brand only those the dealer may see (İYS retailerAccess)."""
    return consents_visible_q(own_brand_ids=[a.brand.pk for a in accesses if not a.as_dealer],
                              dealer_brands=dealer_brands(accesses))


def visible_events_q(accesses: list[BrandAccess]) -> Q:
    return events_visible_q(own_brand_ids=[a.brand.pk for a in accesses if not a.as_dealer],
                            dealer_brands=dealer_brands(accesses))


def brand_choices(accesses: list[BrandAccess]) -> list[tuple[str, str]]:
    as_dealer = gettext("bayi olarak")
    return [
        (str(a.brand.brand_code), f"{a.brand.name} ({a.brand.brand_code})" + (f" — {as_dealer}" if a.as_dealer else ""))
        for a in accesses
    ]


# Lazy labels: built at import, translated when rendered (an f-string would freeze them in Turkish).
PROVIDER_SOURCE_CHOICES = [(v, format_lazy("{} ({})", label, v)) for v, label in Source.choices if v in PROVIDER_SOURCES]


class ConsentFilterForm(TextSafeForm):
    q = forms.CharField(label=_("Alıcı"), required=False, max_length=300,
                        widget=forms.TextInput(attrs={"placeholder": _("0532 123 45 67 ya da ad@ornek.com")}))
    brand = forms.ChoiceField(label=_("Marka"), required=False)
    channel = forms.ChoiceField(label=_("Kanal"), required=False, choices=_all(Channel.choices))
    status = forms.ChoiceField(label=_("Durum"), required=False, choices=_all(Status.choices))
    source = forms.ChoiceField(label=_("Kaynak"), required=False, choices=_all(Source.choices))
    recipient_type = forms.ChoiceField(label=_("Alıcı tipi"), required=False, choices=_all(RecipientType.choices))
    review = forms.ChoiceField(label=_("Beyan durumu"), required=False, choices=REVIEW_CHOICES)

    def __init__(self, *args: Any, accesses: list[BrandAccess], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accesses = accesses
        self.fields["brand"].choices = _all(brand_choices(accesses))
        self.normalised_recipient: str | None = None

    def clean_q(self) -> str:
        raw = (self.cleaned_data.get("q") or "").strip()
        if raw:
            self.normalised_recipient = try_normalize(raw)
            if self.normalised_recipient is None:
                raise forms.ValidationError(
                    _("“%(value)s” bir telefon numarası ya da e-posta adresi olarak okunamadı."), params={"value": raw}
                )
        return raw

    def filter(self, queryset: QuerySet[Consent]) -> QuerySet[Consent]:
        """The consents matching the valid filters; an unreadable search matches nothing."""
        if not self.is_bound:
            data: dict[str, Any] = {}
        elif not self.is_valid():
            if "q" in self.errors:
                return queryset.none()
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        accesses = self.accesses
        if data.get("brand"):
            accesses = [a for a in accesses if str(a.brand.brand_code) == data["brand"]]
        queryset = queryset.filter(visible_consents_q(accesses))
        if self.normalised_recipient:
            queryset = queryset.filter(recipient=self.normalised_recipient)
        for name in ("channel", "status", "source", "recipient_type"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("review"):
            queryset = queryset.filter(consent_review_q(data["review"]))
        return queryset


class DateTimeLocalInput(forms.TextInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(attrs={"step": "1"})


class ConsentForm(TextSafeForm):
    brand = forms.ChoiceField(label=_("Marka"), required=False)
    recipient = forms.CharField(
        label=_("Alıcı"), required=False, max_length=300,
        help_text=_("Telefon numarası (MESAJ, ARAMA) ya da e-posta adresi (EPOSTA); her yazım biçimi kabul edilir."),
    )
    channel = forms.ChoiceField(label=_("İzin tipi (kanal)"), required=False, choices=[("", "—"), *Channel.choices])
    recipient_type = forms.ChoiceField(
        label=_("Alıcı tipi"), required=False, choices=[("", "—"), *RecipientType.choices]
    )
    status = forms.ChoiceField(label=_("Durum"), required=False, choices=[("", "—"), *Status.choices])
    source = forms.ChoiceField(
        label=_("İzin kaynağı"), required=False, choices=[("", "—"), *PROVIDER_SOURCE_CHOICES],
        help_text=_("İznin nereden alındığı: İYS her izin için ister."),
    )
    consent_date = forms.CharField(
        label=_("İzin tarihi"), required=False, widget=DateTimeLocalInput(),
        help_text=_("Alıcının izni verdiği ya da reddettiği an (Türkiye saati)."),
    )
    retailer_code = forms.CharField(
        label=_("Bayi numarası"), required=False, max_length=16,
        help_text=_("İzni bir bayiniz topladıysa onun 8 haneli numarası."),
    )
    evidence_note = forms.CharField(
        label=_("Yeniden onayın kanıtı"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Yalnız alıcı bu kanalı kendisi reddettiyse gerekir: alıcının retten sonra yeniden onay verdiğini "
            "gösteren belge ya da kayıt (ör. imzalı form no, çağrı kaydı, web formu işlem numarası)."
        ),
    )

    def __init__(self, *args: Any, accesses: list[BrandAccess], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accesses = accesses
        self.fields["brand"].choices = brand_choices(accesses)
        # Checked in clean() (all at once, with İYS's code beside plain words), but marked as needed.
        for name in ("brand", "recipient", "channel", "recipient_type", "status", "source", "consent_date"):
            self.fields[name].rule_required = True
        if not self.is_bound:
            now = dt.datetime.now(ISTANBUL).replace(microsecond=0, tzinfo=None)
            self.initial.setdefault("consent_date", now.isoformat())

    def access(self) -> BrandAccess | None:
        code = self.cleaned_data.get("brand")
        for access in self.accesses:
            if str(access.brand.brand_code) == code:
                return access
        return None

    def clean(self) -> dict[str, Any]:
        """Every field's own problem at once, in plain words; the rules between fields stay the service's.

        Values are read with people's habits (consents.people): the service then sees İYS's words.
        """
        data = super().clean()
        for name in ("recipient_type", "channel", "status", "source"):
            data[name] = _READERS[name](data.get(name) or "")
        checks = (
            ("recipient_type", "H170", "H116", _RECIPIENT_TYPES),
            ("channel", "H111", "H117", _CHANNELS),
            ("status", "H110", "H115", _STATUSES),
            ("source", "H113", "H119", PROVIDER_SOURCES),
        )
        for name, missing, invalid, allowed in checks:
            value = data.get(name)
            if not value:
                self._person_error(ConsentRuleError(missing, field=name))
            elif value not in allowed:
                self._person_error(ConsentRuleError(invalid, field=name, value=value))
        raw_recipient = people.read_text(data.get("recipient") or "")
        try:
            address = normalize_recipient(raw_recipient)
        except ConsentRuleError as err:
            self.add_rule_error(err)
        else:
            data["recipient"] = address.value
            channel = data.get("channel")
            if channel in _CHANNELS and (channel == Channel.EPOSTA) != (address.kind == EMAIL):
                self.add_rule_error(h464(channel, raw_recipient))
        raw_date = (data.get("consent_date") or "").strip()
        if not raw_date:
            if data.get("recipient_type") != RecipientType.TACIR:
                self.add_rule_error(ConsentRuleError("H112", field="consentDate"))
            data["consent_date"] = None
        else:
            try:
                moment = people.read_date(raw_date)
            except ConsentRuleError as err:
                self.add_rule_error(err)
            else:
                try:
                    # Not a shape people use: İYS's own reader tells an impossible date from a wrong shape.
                    data["consent_date"] = parse_consent_date(moment)
                except ConsentRuleError as err:
                    self.add_rule_error(err)
        return data

    def _person_error(self, err: ConsentRuleError) -> None:
        if err.field not in self.errors:
            self.add_error(err.field, people.refusal_for_person(err))

    def key(self) -> tuple[BrandAccess, str, str, str] | None:
        """The consent key the (bound or pre-filled) form names, when it names one fully and readably."""
        source = self.data if self.is_bound else self.initial
        code = source.get("brand") or ""
        access = next((a for a in self.accesses if str(a.brand.brand_code) == code), None)
        recipient = try_normalize(source.get("recipient") or "")
        recipient_type = (source.get("recipient_type") or "").upper()
        channel = (source.get("channel") or "").upper()
        if access is None or recipient is None or not recipient_type or not channel:
            return None
        return access, recipient, recipient_type, channel

    def add_rule_error(self, err: ConsentRuleError) -> None:
        field = ERROR_FIELDS.get(err.field or "")
        if field is not None and field in self.errors:
            return  # one message per field: the first problem found
        self.add_error(field, people.refusal_for_person(err))


def consent_review_q(review: str) -> Q:
    return {
        REVIEW_UNDER: Q(status=Status.ONAY, review_until__isnull=False, finalized_at__isnull=True),
        REVIEW_FINAL: Q(finalized_at__isnull=False),
        REVIEW_NONE: Q(review_until__isnull=True),
    }[review]


class ChangeFeedForm(TextSafeForm):
    date_from = forms.DateField(label=_("Başlangıç"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("Bitiş"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    brand = forms.ChoiceField(label=_("Marka"), required=False)

    def __init__(self, *args: Any, accesses: list[BrandAccess], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accesses = accesses
        self.fields["brand"].choices = _all(brand_choices(accesses))
        self.fields["date_from"].input_formats = ["%Y-%m-%d", "%d.%m.%Y"]
        self.fields["date_to"].input_formats = ["%Y-%m-%d", "%d.%m.%Y"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Bitiş tarihi başlangıçtan önce olamaz."))
        return data
