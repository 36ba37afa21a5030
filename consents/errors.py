"""Rule violations with their İYS error code and a message in Turkish and English.

The same codes travel through the web form, the CSV report and the API, so a provider sees one
vocabulary everywhere. `tr` is İYS's own wording, word for word, where İYS has the code (its error
table in the official OpenAPI document): it is what the API sends. People (the form, the CSV report)
get `person_tr` where a sentence on what to do next helps, and `hint` details (e.g. a Turkish letter
in an e-mail address) that İYS does not send.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils import translation


@dataclass(frozen=True, slots=True)
class ErrorText:
    http_status: int
    tr: str  # İYS's own wording: what the API answers, word for word
    en: str
    person_tr: str = ""  # for people, where İYS's wording leans on English terms ("E164"); else tr is used


# İYS names the field in parentheses after its Turkish name ("Alıcı (recipient)"): machines need it, people
# read the Turkish name alone, and an English page reads the English name alone.
_FIELD_NAME = re.compile(r" \((?:status|type|consentDate|source|recipient|recipientType|retailerCode)\)")


# Details for people appended to a code's message (Turkish, English); the API never sends them.
HINTS: dict[str, tuple[str, str]] = {
    "turkish_letter": (
        "E-posta adreslerinde Türkçe karakter (ç, ğ, ı, İ, ö, ş, ü) kullanılamaz.",
        "E-mail addresses may not contain Turkish letters (ç, ğ, ı, İ, ö, ş, ü).",
    ),
    "email_special": (
        (
            "E-posta adresinin @ işaretinden önceki bölümünde harf, rakam, nokta, tire ve alt çizgi dışında "
            "yalnızca + kullanılabilir."
        ),
        "Before the @ an e-mail address may hold letters, digits, dots, hyphens, underscores and + only.",
    ),
}


ERRORS: dict[str, ErrorText] = {
    "H110": ErrorText(422, "Durum (status) bulunamadı.", "Status is missing."),
    "H111": ErrorText(422, "İzin tipi (type) bulunamadı.", "Channel (type) is missing."),
    "H112": ErrorText(422, "İzin tarihi (consentDate) bulunamadı.", "Consent date (consentDate) is missing."),
    "H113": ErrorText(422, "İzin kaynağı (source) bulunamadı.", "Source is missing."),
    "H114": ErrorText(422, "Alıcı (recipient) bulunamadı.", "Recipient is missing."),
    "H115": ErrorText(422, "Durum (status) için uygun değerler: ONAY, RET", "Status must be ONAY or RET."),
    "H116": ErrorText(
        422, "Alıcı tipi (recipientType) için uygun değerler: BIREYSEL, TACIR",
        "Recipient type must be BIREYSEL or TACIR.",
    ),
    "H117": ErrorText(
        422, "İzin tipi (type) için uygun değerler: ARAMA, MESAJ, EPOSTA", "Channel must be ARAMA, MESAJ or EPOSTA."
    ),
    "H120": ErrorText(
        422, "Alıcı (recipient) kabul edilemedi. Geçerli bir eposta adresi giriniz.",
        "Recipient rejected: enter a valid e-mail address (at least x@yy.zz, up to 265 characters, no spaces "
        "or Turkish letters, no special character but + before the @).",
    ),
    "H121": ErrorText(
        422,
        "Alıcı (recipient) için E164 uluslararası([+][country code][area code][local phone number]) formatına "
        "uygun bir telefon numarası girilmelidir. (örn. +905992000000)",
        "Recipient must be a phone number that can be written in E.164 (e.g. +905992000000).",
        "Alıcı, uluslararası biçimde yazılabilen bir telefon numarası olmalıdır (örn. +905992000000).",
    ),
    "H122": ErrorText(
        422,
        "Alıcı (recipient) için E164 uluslararası ([+][country code][area code][local phone number]) formatına "
        "uygun bir telefon numarası (örn. +905992000000) ya da geçerli bir e-posta adresi girilmelidir.",
        "Recipient must be a phone number (e.g. +905992000000) or a valid e-mail address.",
        "Alıcı, bir telefon numarası (örn. +905992000000) ya da geçerli bir e-posta adresi olmalıdır.",
    ),
    "H155": ErrorText(
        422,
        "İzin kaynağı “1 Mayıs 2015 öncesi” olan izinler için, izin tarihi sadece 2015-05-01 00:00:00 olabilir.",
        "Consents with source HS_2015 must carry exactly 2015-05-01 00:00:00 as their date.",
    ),
    "H156": ErrorText(
        422, "İzinler için 1 Mayıs 2015’den önceki tarihler kabul edilmemektedir.",
        "Consent dates before 1 May 2015 are not accepted.",
    ),
    "H157": ErrorText(422, "Geçerli bir tarih girilmelidir.", "Enter a valid date."),
    "H158": ErrorText(
        422, "İzin tarihi yyyy-mm-dd hh:mm:ss formatında olmalıdır.",
        "Consent date must be written as yyyy-mm-dd hh:mm:ss.",
    ),
    "H160": ErrorText(
        422, "Alıcı için telefon numaraları 15 karakterden uzun olmamalıdır.",
        "Phone numbers may not be longer than 15 digits.",
    ),
    "H162": ErrorText(
        422, "Mevcut tarih ve saatten ileri bir tarih ve saat girilmemelidir.",
        "The consent date may not be in the future.",
    ),
    "H170": ErrorText(422, "Alıcı tipi (recipientType) bulunamadı.", "Recipient type (recipientType) is missing."),
    "H174": ErrorText(
        400, "İzin durumu (status) güncellemesi için farklı bir durum girilmelidir. İzin durumu: {status}",
        "An update must change the status. The current status is {status}.",
    ),
    "H175": ErrorText(
        400, "İlk defa kaydedilen bir iznin durum (status) bilgisi RET olmamalıdır.",
        "The first record of a consent cannot be a rejection (RET): only consents are uploaded.",
    ),
    "H178": ErrorText(
        400, "Sistemdeki iznin tarihinden önceki tarihli izinlerle güncelleme yapılamaz.",
        "The consent date must be later than the one already recorded ({stored}).",
    ),
    "H180": ErrorText(
        403, "İstek gövdesinde yer alan bayi İYS numarasıyla (retailerCode) herhangi bir bayi bulunamadı.",
        "No dealer/agency with this retailer code works for this brand.",
        person_tr="Bayi İYS numarasıyla (retailerCode) bu markaya ait bir bayi bulunamadı.",
    ),
    "H194": ErrorText(
        422,
        "İzin listede daha önce tanımlandı. Liste içinde izinler alıcı tipi (recipientType), tip (type) ve alıcı "
        "(recipient) değerleri için tekrarlanamaz.",
        "This consent already appears earlier in the list: recipient, recipient type and channel may not repeat.",
    ),
    "H408": ErrorText(
        422, "HS_KARAR kaynağından iletilen izinler için durum bilgisi RET olmalıdır.",
        "Consents with source HS_KARAR (the provider's own decision) must be RET.",
    ),
    "H462": ErrorText(
        400, "TACIR izinleri güncellenirken izin tarihi (consentDate) verilmelidir",
        "Updating a TACIR consent requires a consent date.",
    ),
    "H463": ErrorText(
        400, "TACIR izinleri güncellenirken izin kaynağı (source) verilmelidir.",
        "Updating a TACIR consent requires a source.",
    ),
    # İYS names the channel and the expected format: "MESAJ … telefon", "EPOSTA … e-posta" (use h464()).
    "H464": ErrorText(
        422,
        "İzin tipi (type) {channel} için, alıcı (recipient) {expected} formatında olmalıdır.",
        "MESAJ and ARAMA need a phone number as recipient, EPOSTA needs an e-mail address.",
    ),
    "H467": ErrorText(
        422,
        "Üç iş günü öncesinde alınan izinler kaydedilemez.",
        "Consents given more than three business days ago cannot be recorded. Obtain the consent again and "
        "record it within three business days; older consents can only be declared during an open declaration "
        "period.",
        person_tr="Üç iş günü öncesinde alınan izinler kaydedilemez. Alıcıdan yeniden onay alıp üç iş günü içinde "
        "kaydedin; daha eski izinler yalnızca açık bir beyan döneminde beyan edilebilir.",
    ),
    # Registry-specific codes (no İYS equivalent), prefixed ILT.
    "ILT001": ErrorText(
        422,
        "Beyan dönemi kapalı: üç iş gününden eski izinler ve HS_2015 kaynaklı izinler yalnızca açık bir beyan "
        "döneminde bildirilebilir (son beyan günü: {deadline}). Bu izin geçersizdir; alıcıdan yeniden onay alıp "
        "üç iş günü içinde kaydedebilirsiniz.",
        "The declaration period is closed: consents older than three business days and HS_2015 consents can "
        "only be declared while a period is open (last day: {deadline}). This consent is not valid; obtain it "
        "again from the recipient and record it within three business days.",
    ),
    "ILT002": ErrorText(
        422, "Hizmet sağlayıcılar yalnızca HS_* kaynaklarını gönderebilir; IYS_* kaynakları sisteme aittir.",
        "Providers may only send HS_* sources; IYS_* sources are set by the registry.",
    ),
    "ILT003": ErrorText(
        403, "Bu bayi/acente yalnızca çalıştığı markanın izinlerini kullanabilir.",
        "A dealer/agency may only use the consents of the brand it works for.",
    ),
    "ILT006": ErrorText(
        403, "Bu izin bayinize açık değil: bayi yalnızca markanın erişim verdiği ve kendi kaydettiği izinleri "
        "kullanır ve değiştirir.",
        "This consent is not open to your dealer: a dealer uses and changes only the consents the brand gave it "
        "access to and those it recorded itself.",
    ),
    "ILT004": ErrorText(
        422, "Vatandaş işlemleri yalnızca IYS_* kaynaklarıyla kaydedilir.",
        "Citizen actions are recorded with IYS_* sources only.",
    ),
    "ILT005": ErrorText(
        422,
        "Alıcı bu kanalı kendisi reddetti ({rejected_at}). Onay kaydetmek için alıcının yeniden onay verdiğini "
        "gösteren kanıtı not olarak yazın; izin tarihi retten sonra olmalıdır.",
        "The recipient rejected this channel themselves ({rejected_at}). To record a consent, describe the "
        "evidence that the recipient consented again; the consent date must be after the rejection.",
    ),
    "H119": ErrorText(
        422,
        "İzin kaynağı (source) için uygun değerler: HS_FIZIKSEL_ORTAM, HS_ISLAK_IMZA, HS_WEB, HS_CAGRI_MERKEZI, "
        "HS_SOSYAL_MEDYA, HS_EPOSTA, HS_MESAJ, HS_MOBIL, HS_EORTAM, HS_ETKINLIK, HS_2015, HS_ATM, HS_KARAR",
        "Source must be one of HS_FIZIKSEL_ORTAM, HS_ISLAK_IMZA, HS_WEB, HS_CAGRI_MERKEZI, HS_SOSYAL_MEDYA, "
        "HS_EPOSTA, HS_MESAJ, HS_MOBIL, HS_EORTAM, HS_ETKINLIK, HS_2015, HS_ATM, HS_KARAR.",
    ),
}


def _language(language: str | None) -> str:
    return "en" if (language or translation.get_language() or "tr")[:2] == "en" else "tr"


def _format(template: str, params: dict[str, Any]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


def error_message(code: str, language: str | None = None, *, hint: str | None = None, **params: Any) -> str:
    """İYS's text in `language` or the active one, with the detail a `hint` names for people (e.g. a Turkish
    letter in an e-mail address). The API sends `iys_message`, never a hint."""
    text = ERRORS[code]
    english = _language(language) == "en"
    return _with_hint(_format(text.en if english else text.tr, params), hint, english)


def _with_hint(message: str, hint: str | None, english: bool) -> str:
    return f"{message} {HINTS[hint][1 if english else 0]}" if hint in HINTS else message


def person_message(code: str, language: str | None = None, *, hint: str | None = None, **params: Any) -> str:
    """What a person reads (pages, reports): the active language only, without İYS's English field names,
    with the detail a `hint` names (e.g. a Turkish letter in an e-mail address)."""
    text = ERRORS[code]
    english = _language(language) == "en"
    template = text.en if english else (text.person_tr or text.tr)
    return _with_hint(_format(_FIELD_NAME.sub("", template), params), hint, english)


def iys_message(code: str, **params: Any) -> str:
    """İYS's own text for the code (what the API sends), without the hints meant for people."""
    params.pop("hint", None)
    return _format(ERRORS[code].tr, params)


def h464(channel: str, value: Any, *, field: str = "recipient") -> ConsentRuleError:
    """The channel needs the other kind of address (İYS words it per channel)."""
    expected = "e-posta" if channel == "EPOSTA" else "telefon"
    return ConsentRuleError("H464", field=field, value=value, channel=channel, expected=expected)


class ConsentRuleError(Exception):
    """A movement refused by a rule of SPEC §3. Carries the field and value it is about."""

    def __init__(self, code: str, *, field: str | None = None, value: Any = None, **params: Any) -> None:
        if code not in ERRORS:
            raise KeyError(f"unknown error code {code}")
        self.code = code
        self.field = field
        self.value = value
        self.params = params
        super().__init__(f"{code}: {self.message_en}")

    @property
    def http_status(self) -> int:
        return ERRORS[self.code].http_status

    @property
    def message(self) -> str:
        """For people, in the active language (Turkish by default); the API uses `as_iys`."""
        return person_message(self.code, **self.params)

    @property
    def message_tr(self) -> str:
        return error_message(self.code, "tr", **self.params)

    @property
    def message_en(self) -> str:
        return error_message(self.code, "en", **self.params)

    @property
    def iys_message(self) -> str:
        return iys_message(self.code, **self.params)

    def as_iys(self) -> dict[str, Any]:
        """The İYS error item: {"code", "location", "value", "message"}."""
        item: dict[str, Any] = {"code": self.code, "message": self.iys_message}
        if self.field:
            item["location"] = [self.field]
        if self.value is not None:
            item["value"] = self.value
        return item

    @property
    def all(self) -> list[ConsentRuleError]:
        """Every rule the movement breaks (İYS lists them all); one here."""
        return [self]


class ConsentRuleErrors(ConsentRuleError):
    """Several rules broken by one movement at once. Reads as the first (what people are shown first);
    `all` holds every one, in the order İYS lists them."""

    def __init__(self, errors: list[ConsentRuleError]) -> None:
        first = errors[0]
        super().__init__(first.code, field=first.field, value=first.value, **first.params)
        self.errors = errors

    @property
    def all(self) -> list[ConsentRuleError]:
        return list(self.errors)


def raise_all(errors: list[ConsentRuleError]) -> None:
    """Raise nothing, the one error, or all of them together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConsentRuleErrors(errors)
