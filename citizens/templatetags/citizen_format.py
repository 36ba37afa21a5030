"""Template filters for what citizens read: `{{ value|address }}` and `{% if value|is_phone %}`; the rows of
"my consents" (`{% consent_rows g %}`)."""
from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from ..display import display_address, is_phone

register = template.Library()

register.filter("address", display_address, is_safe=False)
register.filter("is_phone", is_phone)


# The rows of one brand on "my consents", rendered in Python: a citizen with 500 consents made the template
# engine resolve ~30 variables per row (ids through number formatting, dates through the date filter),
# 7x the page's one SELECT (bench/citizen_page.py). Same markup as the template it replaced, row by row.
_ROW_HEAD = (
    '\n    <li class="consent-row">\n      <div class="consent-main">\n'
    '        <span class="channel" id="ch-{pk}">{channel}</span>\n'
    '        <span class="muted" id="to-{pk}">{recipient}{tacir}</span>\n      </div>\n      <div class="consent-state">\n        '
)
_SWITCH_ON = (
    '\n        <form method="post" action="{reject_url}" class="inline"><input type="hidden" name="csrfmiddlewaretoken" '
    'value="{csrf}">\n          <input type="hidden" name="scope" value="consent"><input type="hidden" '
    'name="consent" value="{pk}">\n          <button type="submit" class="switch on" data-state="on" '
    'id="sw-{pk}" aria-label="{name}" aria-describedby="to-{pk} switch-hint-on"><span class="knob" '
    'aria-hidden="true"></span><span class="sw-state" data-label="{on}"></span> <span class="sw-action">'
    '{reject}</span></button>\n        </form>\n        '
)
_SWITCH_OFF = (
    '\n        <form method="post" action="{approve_url}" class="inline"><input type="hidden" name="csrfmiddlewaretoken" '
    'value="{csrf}">\n          <input type="hidden" name="consent" value="{pk}">\n          <button '
    'type="submit" class="switch off" data-state="off" id="sw-{pk}" aria-label="{name}" '
    'aria-describedby="to-{pk} switch-hint-off"><span class="knob" aria-hidden="true"></span><span '
    'class="sw-state" data-label="{off}"></span> <span class="sw-action">{allow}</span></button>\n'
    '        </form>\n        '
)
# A switch is a button named by its action ("Deniz Market SMS iznini reddet"); its state word is drawn by
# citizens.css from data-label, so the text inside the button is the action alone (WCAG 2.5.3, label in name)
# and screen readers get the state in the description (switch-hint-on/off). "İzin ver" leads its name as
# written: lower-cased, the dotted capital İ is not the "i" of "izin" and the words would not match.
_ROW_TAIL = (
    '\n        {badge}\n      </div>\n      <div class="consent-meta muted">\n'
    '        {source_word}: {source} · {date_word}: {date}\n        {deadline}\n      </div>\n'
    '      <details class="history">\n        <summary>{history_word}</summary>\n        <ol class="plain">\n'
    '          {history}\n        </ol>\n      </details>\n    </li>\n  '
)
_EVENT = (
    '\n          <li>{when} — <span class="badge {css}">{status}</span> {source} '
    '<span class="muted">({actor}, {via})</span></li>\n          '
)


_SIMPLE = {
    "d": lambda t: f"{t.day:02d}", "j": lambda t: str(t.day), "m": lambda t: f"{t.month:02d}",
    "n": lambda t: str(t.month), "Y": lambda t: str(t.year), "H": lambda t: f"{t.hour:02d}",
    "G": lambda t: str(t.hour), "i": lambda t: f"{t.minute:02d}",
}


def _formatter(name: str):
    """The active language's `name` format (as the |date filter writes it) as a function of a datetime.

    Django's dateformat re-parses the format and looks up translations on every call; the rows need a
    thousand dates per page. The letters the project's formats use are done here, month names looked up
    once per page in the active language; any other format falls back to Django's own formatting.
    """
    fmt = formats.get_format(name)
    months = {
        letter: {m: dateformat.format(dt.date(2000, m, 1), letter) for m in range(1, 13)} for letter in "MF"
    }
    parts: list = []
    for char in fmt:
        if char in _SIMPLE:
            parts.append(_SIMPLE[char])
        elif char in months:
            parts.append(lambda t, names=months[char]: names[t.month])
        elif char.isalpha() or char == "\\":
            return lambda moment: formats.date_format(timezone.localtime(moment), name) if moment else ""
        else:
            parts.append(char)

    def render(moment) -> str:
        if not moment:
            return ""
        local = timezone.localtime(moment)
        return "".join(p if type(p) is str else p(local) for p in parts)

    return render


_SHARED = "citizen_format.consent_rows"


_GROUP_HEAD = (
    '\n<section class="card brand-card" id="marka-{pk}" aria-labelledby="marka-{pk}-baslik" tabindex="-1"{focus}>\n'
    '  <header class="brand-head">\n    <div>\n      <h2 id="marka-{pk}-baslik">{name}</h2>\n'
    '      <p class="muted">{provider} · {code_word} {code}</p>\n    </div>\n    <div class="brand-actions">\n'
    '      {reject_all}\n      {approve_all}\n    </div>\n  </header>\n  <ul class="plain consent-list">\n  '
)
_REJECT_ALL = (
    '\n      <form method="post" action="{reject_url}" class="inline"><input type="hidden" '
    'name="csrfmiddlewaretoken" value="{csrf}">\n        <input type="hidden" name="scope" value="brand">'
    '<input type="hidden" name="brand" value="{pk}">\n        <button type="submit" class="danger" '
    'data-test="reject-brand">{label}</button>\n      </form>\n      '
)
_APPROVE_ALL = (
    '\n      <form method="post" action="{approve_url}" class="inline"><input type="hidden" '
    'name="csrfmiddlewaretoken" value="{csrf}">\n        <input type="hidden" name="brand" value="{pk}">\n'
    '        <button type="submit" class="secondary">{label}</button>\n      </form>\n      '
)
_GROUP_TAIL = "\n  </ul>\n</section>\n"


@register.simple_tag(takes_context=True)
def brand_groups(context, groups) -> str:
    """`{% brand_groups groups %}`: every brand's card with its rows (see consent_rows), rendered in Python."""
    shared = context.render_context.get(_SHARED)
    if shared is None:
        shared = context.render_context[_SHARED] = _shared_of(context)
    words, csrf, reject_url, approve_url = shared[:4]
    code_word = escape(gettext("marka kodu"))
    reject_text, approve_text = gettext("%(b)s: tümünü reddet"), gettext("%(b)s: yeniden onay ver")
    # The card a reject/approve just changed takes focus when the page comes back (citizens.views).
    focus_brand = context.get("focus_brand")
    parts = []
    for g in groups:
        brand = g.brand
        pk, name = brand.pk, escape(brand.name)
        parts.append(_GROUP_HEAD.format(
            pk=pk, focus=" autofocus" if pk == focus_brand else "", name=name, provider=escape(brand.provider.name), code_word=code_word, code=brand.brand_code,
            reject_all=_REJECT_ALL.format(reject_url=reject_url, csrf=csrf, pk=pk, label=reject_text % {"b": name})
            if g.has_onay else "",
            approve_all=_APPROVE_ALL.format(approve_url=approve_url, csrf=csrf, pk=pk, label=approve_text % {"b": name})
            if g.ret_count > 1 else "",
        ))
        parts.append(consent_rows(context, g))
        parts.append(_GROUP_TAIL)
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped


def _shared_of(context) -> tuple:
    words = {
        key: escape(gettext(text)) for key, text in (
            ("tacir", "tacir/esnaf"), ("on", "Onaylı"), ("off", "Reddedildi"), ("reject", "Reddet"),
            ("allow", "İzin ver"), ("review", "İnceleme süresinde"), ("source", "Kaynak"), ("date", "Tarih"),
            ("history", "Geçmiş"),
        )
    }
    return (
        words, escape(str(context.get("csrf_token", ""))), escape(reverse("citizens:reject")),
        escape(reverse("citizens:approve")), gettext("Son inceleme günü: %(d)s"),
        _formatter("SHORT_DATETIME_FORMAT"), _formatter("DATE_FORMAT"),
    )


@register.simple_tag(takes_context=True)
def consent_rows(context, group) -> str:
    """`{% consent_rows g %}`: the <li> rows of one brand group (consents with `history` dicts and labels
    attached by citizens.selectors.attach_history_and_labels)."""
    shared = context.render_context.get(_SHARED)
    if shared is None:  # once per page, not per brand
        shared = context.render_context[_SHARED] = _shared_of(context)
    words, csrf, reject_url, approve_url, deadline_text, short_datetime, long_date = shared
    brand_name = group.brand.name
    reject_name, allow_name = gettext("%(b)s %(ch)s iznini reddet"), gettext("İzin ver: %(b)s %(ch)s")
    parts = []
    for c in group.consents:
        pk = c.pk
        parts.append(_ROW_HEAD.format(
            pk=pk, channel=escape(c.channel_label), recipient=escape(display_address(c.recipient)),
            tacir=f" · {words['tacir']}" if c.recipient_type == "TACIR" else "",
        ))
        if c.status == "ONAY":
            parts.append(_SWITCH_ON.format(
                reject_url=reject_url, csrf=csrf, pk=pk, on=words["on"], reject=words["reject"],
                name=escape(reject_name % {"b": brand_name, "ch": c.channel_label}),
            ))
        else:
            parts.append(_SWITCH_OFF.format(
                approve_url=approve_url, csrf=csrf, pk=pk, off=words["off"], allow=words["allow"],
                name=escape(allow_name % {"b": brand_name, "ch": c.channel_label}),
            ))
        under_review = c.under_review
        history = "".join(
            _EVENT.format(
                when=escape(short_datetime(e["created_at"])),
                css="onay" if e["status"] == "ONAY" else "ret", status=escape(e["status"]),
                source=escape(e["source_label"]), actor=escape(e["actor_kind_label"]), via=escape(e["via_label"]),
            )
            for e in c.history
        )
        parts.append(_ROW_TAIL.format(
            badge=f'<span class="badge review">{words["review"]}</span>' if under_review else "",
            source_word=words["source"], source=escape(c.source_label or "—"), date_word=words["date"],
            date=escape(short_datetime(c.consent_date)),
            deadline=(
                '<br><strong class="deadline">'
                + escape(deadline_text % {"d": long_date(c.review_until)}) + "</strong>"
                if under_review else ""
            ),
            history_word=words["history"], history=history,
        ))
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
