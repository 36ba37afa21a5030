"""The English catalogue is complete: every Turkish source string has an English translation."""
from __future__ import annotations

import re
from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_english_catalogue_has_no_empty_or_fuzzy_entry():
    catalogue = polib.pofile(str(CATALOGUE))
    live = [entry for entry in catalogue if not entry.obsolete]
    missing = [
        entry.msgid for entry in live
        if "fuzzy" in entry.flags
        or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        or (not entry.msgid_plural and not entry.msgstr)
    ]
    assert len(live) > 700
    assert missing == []


def test_english_catalogue_keeps_the_placeholders_of_its_source():
    """A translation that drops or renames %(name)s or {name} would crash or lose the value at run time."""
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
    wrong = [
        entry.msgid for entry in polib.pofile(str(CATALOGUE))
        if not entry.obsolete and not entry.msgid_plural and entry.msgstr
        and sorted(placeholder.findall(entry.msgid)) != sorted(placeholder.findall(entry.msgstr))
    ]
    assert wrong == []
