"""Template filters for what citizens read: `{{ value|address }}` and `{% if value|is_phone %}`."""
from __future__ import annotations

from django import template

from ..display import display_address, is_phone

register = template.Library()

register.filter("address", display_address, is_safe=False)
register.filter("is_phone", is_phone)
