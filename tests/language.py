"""Reading pages as a person does and telling Turkish from English by the catalogues themselves.

"Text of the other language": in English, a Turkish msgid of locale/en whose English differs; in Turkish,
an English msgstr of locale/en or an English msgid of Django's own Turkish catalogues (the admin's "Add",
"Not Found", ...). Used by the crawler (tests/test_language_purity.py) and the error-page tests.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import django
import polib
from django.conf import settings

from consents.errors import ERRORS

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
DJANGO_TR = [
    Path(django.__file__).parent / sub / "locale" / "tr" / "LC_MESSAGES" / "django.po"
    for sub in ("conf", "contrib/admin", "contrib/auth", "contrib/contenttypes")
]
# Text that is the same in both languages or is data, not wording.
NEUTRAL = {"ileti", "İYS", "SMS", "API", "CSV", "JSON", "E-posta", "Türkçe", "English"}  # languages by own name


# --- what the catalogues say -------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split())


def _pairs(path: Path) -> list[tuple[str, str]]:
    return [
        (_normal(entry.msgid), _normal(entry.msgstr))
        for entry in polib.pofile(str(path))
        if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags and "%" not in entry.msgid
        and "{" not in entry.msgid and _normal(entry.msgid) != _normal(entry.msgstr)
    ]


def _fragments(text: str) -> set[str]:
    """The fixed parts of a text with {placeholders}, long enough to be recognised on their own."""
    return {_normal(part) for part in re.split(r"\{\w*\}", text) if len(_normal(part)) >= 14}


def _forbidden_phrases() -> dict[str, set[str]]:
    ours = _pairs(CATALOGUE)
    django_tr = [pair for path in DJANGO_TR for pair in _pairs(path)]
    turkish = {tr for tr, _en in ours} | {tr for _en, tr in django_tr}
    english = {en for _tr, en in ours} | {en for en, _tr in django_tr}
    # The rule texts (consents/errors.py) are kept in both languages outside the catalogue.
    for text in ERRORS.values():
        turkish |= _fragments(text.person_tr or text.tr)
        english |= _fragments(text.en)
    # A phrase spelled the same in both catalogues ("Durum" is Turkish, "Status" English) is never a leak.
    return {
        "en": {p for p in turkish - english if p not in NEUTRAL and len(p) > 2},
        "tr": {p for p in english - turkish if p not in NEUTRAL and len(p) > 2},
    }


FORBIDDEN = _forbidden_phrases()


def turkish_lower(text: str) -> str:
    """Lower case by Turkish rules: I -> ı, İ -> i ("Islak" stays "ıslak", a word of its own)."""
    return text.replace("I", "ı").replace("İ", "i").lower()


TURKISH_WORDS = {turkish_lower(word) for phrase in FORBIDDEN["en"] for word in re.findall(r"[^\W\d_]+", phrase)}
# Phrases long enough to be searched for inside a sentence; shorter ones must fill a text node alone.
LONG = {lang: {p for p in phrases if len(p) >= 14 and " " in p} for lang, phrases in FORBIDDEN.items()}


# --- reading a page as a person does ----------------------------------------------------------------------


class VisibleText(HTMLParser):
    """Text nodes and the attributes a person reads or hears (title, placeholder, alt, aria-label, buttons)."""

    HIDDEN: ClassVar[set[str]] = {"script", "style", "template"}
    SPOKEN: ClassVar[set[str]] = {"title", "placeholder", "alt", "aria-label"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        values = dict(attrs)
        for name in self.SPOKEN:
            if values.get(name):
                self.chunks.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.chunks.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.chunks.append(data)


def visible_chunks(response) -> list[str]:
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig", errors="replace")
    if "text/html" in content_type:
        parser = VisibleText()
        parser.feed(text)
        return [_normal(chunk) for chunk in parser.chunks if _normal(chunk)]
    if "text/csv" in content_type:
        # Headers and every cell a person reads; data cells are checked the same way as page text.
        rows = list(csv.reader(io.StringIO(text)))[:20]
        return [_normal(cell) for row in rows for cell in row if cell.strip()]
    return []


def dotless_capital_i(chunk: str) -> str | None:
    """A Turkish word capitalised the English way ("Izin" for "İzin"), as Django's capfirst does."""
    for word in re.findall(r"\bI[a-zçğıöşü]+", chunk):
        if ("i" + turkish_lower(word[1:])) in TURKISH_WORDS:
            return word
    return None


def leaks_in(
    chunks: Iterable[str], language: str, *, codes: dict[str, str], data: frozenset[str] = frozenset()
) -> Iterator[tuple[str, str]]:
    """(text, why) for each chunk in the other language, a code shown without its label, or a dotless İ.

    `data` holds values typed by people (names, usernames): they are not wording."""
    for chunk in chunks:
        stripped = chunk.strip(" :*()[]·•—-")
        if stripped in data:
            continue
        if language == "tr" and (word := dotless_capital_i(chunk)):
            yield chunk, f"dotless capital I ({word!r})"
            continue
        if stripped in FORBIDDEN[language]:
            yield chunk, "other language"
            continue
        hit = next((phrase for phrase in LONG[language] if phrase in chunk), None)
        if hit:
            yield chunk, f"other language ({hit!r})"
            continue
        if stripped in codes:
            yield chunk, f"code without its label ({codes[stripped]})"
