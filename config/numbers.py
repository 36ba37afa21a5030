"""Numbers written into CSS, SVG attributes, data- attributes or scripts: always with a decimal point.

Django localizes floats in templates, and Turkish writes them with a decimal comma ("2,67"), which
`style="width:2,67%"` or `<rect x="2,67">` silently ignore. Every such number goes through `css_number`
(template filter of the same name: `{% load numbers %}`), so where the number lands can change (inline
style, custom property, data attribute) without the formatting changing.
"""
from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def css_number(value: float | str | None, digits: int = 2) -> str:
    """`2.6666` -> "2.67", `0.0` -> "0", `None` -> "0": locale-independent, no exponent, no trailing zeros."""
    try:
        number = float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return "0"
    text = f"{number:.{int(digits)}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
