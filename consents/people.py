"""What people type, read with Turkish office habits: the upload files and the portal forms.

Machines (the API) keep İYS's exact vocabulary and date format (consents.rules); people write
``BİREYSEL``, ``Tacir``, ``Onay``, ``SMS``, ``E-posta``, ``30.11.2026 14:30`` or a source's Turkish
label, and a spreadsheet may have put a ``'`` before a number. This module turns such values into
İYS's canonical words *before* the rules see them; a value it does not recognise is handed on as
typed, so the rules refuse it with their İYS code and the typed value, and `refusal_text` then tells
the person what was typed and which words are accepted.

Uploads call the readers once per cell of millions of rows: each reader memoises the raw text it has
seen (a file repeats a handful of spellings), so the common case is one dict lookup.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import translation

from providers.models import Channel

from .errors import ConsentRuleError, error_message
from .models import PROVIDER_SOURCES, RecipientType, Source, Status

ISTANBUL = ZoneInfo("Europe/Istanbul")
# Turkey has kept +03:00 all year since 2016-09-07. A fixed-offset tzinfo is the same instant as
# Europe/Istanbul there and far cheaper per row; earlier dates (summer time) keep the zone itself.
PERMANENT_OFFSET_FROM = dt.datetime(2016, 9, 8)
TR_FIXED = dt.timezone(dt.timedelta(hours=3))

# Turkish casing first ('İ' and 'I' are the upper cases of 'i' and 'ı'), then the letters folded to ASCII.
_FOLD = str.maketrans("İIıŞşĞğÜüÖöÇçÂâÎîÛû", "iiissgguuooccaaiiuu")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_MEMO_LIMIT = 4096  # distinct spellings remembered per reader; a garbage column cannot grow it further


def fold(text: str) -> str:
    """Case-, space-, punctuation- and Turkish-letter-insensitive form ('Sesli Arama' -> 'sesliarama')."""
    return _NOT_ALNUM.sub("", text.translate(_FOLD).lower())


def unquote(text: str) -> str:
    """Drop the one leading `'` that spreadsheets (and our CSV export) put before formula-like cells.

    Only before what a spreadsheet would otherwise evaluate or turn into a number: = + - @ or a digit.
    """
    if len(text) > 1 and text[0] == "'" and (text[1] in "=+-@" or text[1].isdigit()):
        return text[1:]
    return text


class Words:
    """Reads one column's words: canonical value for every accepted spelling, the raw text otherwise."""

    __slots__ = ("_memo", "_table", "allowed_en", "allowed_tr")

    def __init__(self, table: dict[str, str], *, allowed_tr: str, allowed_en: str) -> None:
        self._table = table
        self._memo: dict[Any, Any] = {}
        self.allowed_tr = allowed_tr
        self.allowed_en = allowed_en

    def __call__(self, raw: Any) -> Any:
        try:
            return self._memo[raw]
        except KeyError:
            pass
        except TypeError:  # an unhashable cell: leave it to the rules
            return raw
        value = raw
        if isinstance(raw, str):
            value = self._table.get(fold(unquote(raw.strip())), raw)
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[raw] = value
        return value


def _table(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold(spelling): canonical for canonical, spellings in pairs.items() for spelling in spellings}


RECIPIENT_TYPES = Words(
    _table({
        RecipientType.BIREYSEL: ("BIREYSEL", "Bireysel", "Bireysel (önceden onay)"),
        RecipientType.TACIR: ("TACIR", "Tacir", "Esnaf", "Tacir/esnaf", "Tacir/esnaf (ret edene kadar)"),
    }),
    allowed_tr="Bireysel, Tacir (ya da Esnaf)",
    allowed_en="Bireysel, Tacir (or Esnaf)",
)
STATUSES = Words(
    _table({Status.ONAY: ("ONAY", "Onaylı"), Status.RET: ("RET", "Red", "Reddedildi")}),
    allowed_tr="Onay, Ret",
    allowed_en="Onay, Ret",
)
CHANNELS = Words(
    _table({
        Channel.MESAJ: ("MESAJ", "SMS", "Kısa mesaj", "Mesaj (SMS)", "SMS (kısa mesaj)"),
        Channel.ARAMA: ("ARAMA", "Sesli arama", "Arama (sesli)", "Çağrı"),
        Channel.EPOSTA: ("EPOSTA", "E-posta", "e-mail", "E-mail", "Mail"),
    }),
    allowed_tr="Mesaj (ya da SMS), Arama (ya da Sesli arama), E-posta (ya da Eposta, e-mail)",
    allowed_en="Mesaj (or SMS), Arama (or Sesli arama), E-posta (or Eposta, e-mail)",
)

# Sources: the code, the code without "HS_", and the Turkish label the portal shows ("Web sitesi",
# also as the form writes it, "Web sitesi (HS_WEB)"). Registry sources map to their codes too, so the
# rules refuse them with their own code (ILT002) rather than as unknown words.
_SOURCE_LABELS_TR: dict[str, str] = {
    Source.HS_FIZIKSEL_ORTAM: "Fiziksel ortam",
    Source.HS_ISLAK_IMZA: "Islak imza",
    Source.HS_ETKINLIK: "Etkinlik",
    Source.HS_ATM: "ATM",
    Source.HS_EORTAM: "Elektronik ortam",
    Source.HS_WEB: "Web sitesi",
    Source.HS_MOBIL: "Mobil uygulama",
    Source.HS_MESAJ: "Kısa mesaj",
    Source.HS_EPOSTA: "E-posta",
    Source.HS_CAGRI_MERKEZI: "Çağrı merkezi",
    Source.HS_SOSYAL_MEDYA: "Sosyal medya",
    Source.HS_2015: "1 Mayıs 2015 öncesi",
    Source.HS_KARAR: "Hizmet sağlayıcı kararı",
}


def _source_table() -> dict[str, str]:
    table = {fold(code): code for code in Source.values}
    for code, label in _SOURCE_LABELS_TR.items():
        for spelling in (label, f"{label} ({code})", code.removeprefix("HS_")):
            table.setdefault(fold(spelling), code)
    return table


SOURCES = Words(
    _source_table(),
    allowed_tr=", ".join(f"{label} ({code})" for code, label in _SOURCE_LABELS_TR.items()),
    allowed_en=", ".join(f"{label} ({code})" for code, label in _SOURCE_LABELS_TR.items()),
)
assert set(_SOURCE_LABELS_TR) == PROVIDER_SOURCES, "a provider source lacks its Turkish label"

# dd.mm.yyyy or dd/mm/yyyy, then nothing, hh:mm or hh:mm:ss (Turkish Excel's own text forms).
_TR_DATE = re.compile(
    r"^(\d{1,2})([./])(\d{1,2})\2(\d{4})(?:[ T]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$"
)


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=TR_FIXED if moment >= PERMANENT_OFFSET_FROM else ISTANBUL)


def read_date(raw: Any, *, field: str = "consentDate") -> Any:
    """A consent date as people write it: ISO (İYS's own), dd.mm.yyyy or dd/mm/yyyy with an optional time.

    Returns an aware datetime (Türkiye time when no offset is written), the input itself when it is
    empty or not recognised (the rules then refuse it with H158 quoting it), or raises H157 for a date
    of the right shape that does not exist (31.02.2026).
    """
    if type(raw) is not str:
        if isinstance(raw, dt.datetime):
            return _aware(raw)
        if isinstance(raw, dt.date):
            return _aware(dt.datetime.combine(raw, dt.time()))
        if not isinstance(raw, str):
            return raw
    if not raw:
        return raw
    text = raw.strip()
    if text[:1] == "'":
        text = unquote(text)
    try:
        return _aware(dt.datetime.fromisoformat(text))
    except ValueError:
        pass
    match = _TR_DATE.match(text)
    if match is None:
        return raw
    day, _sep, month, year, hour, minute, second = match.groups()
    try:
        moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        raise ConsentRuleError("H157", field=field, value=raw) from None
    return _aware(moment)


def read_text(raw: Any) -> Any:
    """A free-text cell (recipient, dealer code): stray spaces and a spreadsheet's leading `'` removed."""
    if isinstance(raw, str):
        return unquote(raw.strip())
    return raw


# What people are told, for the refusals about a value they typed: the value as typed, then the words
# that are accepted. (tr, en) with {value}; the İYS code is shown beside it, never instead of it.
_PLAIN: dict[str, tuple[str, str]] = {
    "H110": ("Durumu yazın ya da seçin: Onay ya da Ret.", "Enter or choose the status: Onay or Ret."),
    "H111": (
        "Kanalı yazın ya da seçin: SMS (kısa mesaj), Sesli arama ya da E-posta.",
        "Enter or choose the channel: SMS (kısa mesaj), Sesli arama or E-posta.",
    ),
    "H112": ("İzin tarihini yazın (örnek: 30.11.2026 14:30).", "Enter the consent date (e.g. 30.11.2026 14:30)."),
    "H113": (
        "İzin kaynağını seçin: İYS her bireysel izin için iznin nereden alındığını ister.",
        "Choose the source: İYS requires where each individual consent was obtained.",
    ),
    "H114": ("Alıcıyı yazın: bir telefon numarası ya da e-posta adresi.", "Enter the recipient: a phone or e-mail."),
    "H170": ("Alıcı tipini yazın ya da seçin: Bireysel ya da Tacir.", "Enter or choose the recipient type."),
    "H115": ("“{value}” bir izin durumu olarak tanınmadı. Yazılabilecekler: {allowed}.",
             "“{value}” is not a status. Accepted: {allowed}."),
    "H116": ("“{value}” bir alıcı tipi olarak tanınmadı. Yazılabilecekler: {allowed}.",
             "“{value}” is not a recipient type. Accepted: {allowed}."),
    "H117": ("“{value}” bir kanal olarak tanınmadı. Yazılabilecekler: {allowed}.",
             "“{value}” is not a channel. Accepted: {allowed}."),
    "H119": ("“{value}” bir izin kaynağı olarak tanınmadı. Kodu ya da adı yazılabilir: {allowed}.",
             "“{value}” is not a source. Its code or name is accepted: {allowed}."),
    "H158": (
        "“{value}” bir tarih olarak okunamadı. Örnekler: 30.11.2026 14:30, 30/11/2026, 2026-11-30 14:30:00.",
        "“{value}” could not be read as a date. Examples: 30.11.2026 14:30, 30/11/2026, 2026-11-30 14:30:00.",
    ),
    "H157": ("“{value}” geçerli bir tarih değil: takvimde böyle bir gün yok.",
             "“{value}” is not a valid date: there is no such day."),
}
# The same without a value (a summary by code): what was not recognised, and what is accepted.
_PLAIN_BY_CODE: dict[str, tuple[str, str]] = {
    "H115": ("Tanınmayan izin durumu. Yazılabilecekler: {allowed}.", "Unrecognised status. Accepted: {allowed}."),
    "H116": ("Tanınmayan alıcı tipi. Yazılabilecekler: {allowed}.",
             "Unrecognised recipient type. Accepted: {allowed}."),
    "H117": ("Tanınmayan kanal. Yazılabilecekler: {allowed}.", "Unrecognised channel. Accepted: {allowed}."),
    "H119": ("Tanınmayan izin kaynağı. Kodu ya da adı yazılabilir: {allowed}.",
             "Unrecognised source. Its code or name is accepted: {allowed}."),
    "H158": ("Tarih olarak okunamayan değer. Örnekler: 30.11.2026 14:30, 30/11/2026, 2026-11-30 14:30:00.",
             "Not readable as a date. Examples: 30.11.2026 14:30, 30/11/2026, 2026-11-30 14:30:00."),
    "H157": ("Takvimde olmayan bir gün (örneğin 31.02).", "A day that does not exist (e.g. 31.02)."),
}
_ALLOWED = {"H115": STATUSES, "H116": RECIPIENT_TYPES, "H117": CHANNELS, "H119": SOURCES}


def refusal_text(code: str, value: Any, language: str, **params: Any) -> str:
    """The message a person reads for a refusal: plain words quoting the typed value where that helps."""
    plain = _PLAIN.get(code)
    if value is None and code in _PLAIN_BY_CODE:
        plain = _PLAIN_BY_CODE[code]
    if plain is None:
        return error_message(code, language, **params)
    words = _ALLOWED.get(code)
    allowed = "" if words is None else (words.allowed_en if language == "en" else words.allowed_tr)
    shown = "" if value is None else str(value).strip()
    return (plain[1] if language == "en" else plain[0]).format(value=shown, allowed=allowed)


def refusal_for_person(error: ConsentRuleError) -> str:
    """`refusal_text` in the active language with the İYS code beside it, for a form's field."""
    language = (translation.get_language() or "tr")[:2]
    return f"{refusal_text(error.code, error.value, language, **error.params)} (İYS: {error.code})"
