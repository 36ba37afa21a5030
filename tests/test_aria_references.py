"""Every aria-describedby (and aria-labelledby, label for=) on every rendered page points at an element that
exists: a field's help text and errors are read out with the field only if the ids agree (Django 5.2 writes
aria-describedby="id_<field>_helptext id_<field>_error" on the input; templates/forms/field.html gives those
ids). Pages come from the test client (no browser): every URL of the URLconf as each kind of visitor, and every
form sent empty or wrong so that it shows its errors."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from citizens.models import CitizenAddress
from providers.models import Brand
from tests.test_language_purity import _url_params, _visitors, crawl_paths, demo_registry  # noqa: F401

# Admin markup of Django's and django-import-export's own templates, not the project's: Django's tabular inline
# shows a field's help text as a header icon without the id its inputs name, its read-only password widget
# names a help text it does not render, and import-export's export form labels a toggle it renders only with
# JavaScript. A new dangling reference anywhere else fails the test.
THIRD_PARTY = ("-is_master_helptext'", "<div#id_password> aria-describedby='id_password_helptext'",
               "for='select-all-toggle'")
REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage", "for")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[tuple[str, str, str]] = []  # (tag#id, attribute, id it names)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for attribute in REFERENCES:
            if attribute == "for" and tag not in ("label", "output"):
                continue
            for target in (values.get(attribute) or "").split():
                self.references.append((f"{tag}#{values.get('id') or values.get('name') or ''}", attribute, target))


def dangling(html: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    parser = _Ids()
    parser.feed(html)
    missing = [f"<{who}> {attribute}={target!r}" for who, attribute, target in parser.references
               if target not in parser.ids]
    return missing, parser.references


def _html(response) -> str | None:
    if response.status_code >= 300 or "text/html" not in response.get("Content-Type", ""):
        return None
    if getattr(response, "streaming", False):
        return None
    return response.content.decode()


@pytest.mark.django_db
def test_every_aria_reference_on_every_page_points_at_an_element(demo_registry, settings):  # noqa: F811
    settings.DEBUG = False
    paths = crawl_paths(_url_params())
    visitors = {v.name: v for v in _visitors(demo_registry)}
    broken: list[str] = []
    describedby = 0

    def check(who: str, label: str, response) -> None:
        nonlocal describedby
        html = _html(response)
        if html is None:  # a redirect, a download
            return
        missing, references = dangling(html)
        describedby += sum(1 for _, attribute, _ in references if attribute == "aria-describedby")
        broken.extend(f"[{who}] {label}: {m}" for m in missing if not any(t in m for t in THIRD_PARTY))

    # Every page of the URLconf as an anonymous visitor, a citizen, a portal owner and an admin.
    for name in ("anonymous", "citizen", "demo", "admin"):
        client = visitors[name].client
        for path in paths:
            check(name, f"GET {path}", client.get(path))

    # Every form with its errors: sent empty, or with a wrong value where empty is not an error.
    brand = Brand.objects.get(brand_code=700101)
    error_states = {
        "anonymous": [
            ("/vatandas/giris/", {}),
            ("/vatandas/giris/", {"address": "yanlis"}),
            ("/isletme/giris/", {"username": "demo", "password": "yanlis-parola"}),
            (f"/ret/{brand.brand_code}/", {}),
            (f"/ret/{brand.brand_code}/", {"address": "0532", "email": "a@b"}),
        ],
        "citizen": [
            ("/vatandas/adresler/", {"address": "yanlis"}),
            ("/vatandas/sikayet/yeni/", {}),
        ],
        "demo": [
            ("/isletme/izinler/yeni/", {}),
            ("/isletme/izinler/yeni/", {"recipient": "yanlis", "channel": "MESAJ", "status": "ONAY"}),
            ("/isletme/markalar/yeni/", {}),
            ("/isletme/bayiler/yeni/", {}),
            ("/isletme/yuklemeler/yeni/", {}),
            ("/isletme/api-kullanicilari/", {}),
            ("/isletme/aracilar/", {}),
            ("/isletme/on-kontrol/", {}),
        ],
    }
    without_errors: list[str] = []
    for name, states in error_states.items():
        client = visitors[name].client if name != "anonymous" else Client()
        for path, data in states:
            # A browser always sends something (the CSRF token at least); `Form(request.POST or None)` is unbound
            # on a body with no field at all.
            response = client.post(path, {"csrfmiddlewaretoken": "-", **data})
            html = _html(response)
            assert html is not None, (name, path, response.status_code)
            if 'class="errorlist' not in html:
                without_errors.append(f"{name} {path} {sorted(data)}")
            check(name, f"POST {path} {sorted(data)}", response)
    # Filters with wrong values (GET forms).
    for path in ("/isletme/izinler/?recipient=%3C%3E&channel=YOK", "/isletme/degisiklikler/?since=yarin",
                 "/vatandas/izinlerim/marka-ekle/?q=" + "x" * 300):
        who = "citizen" if path.startswith("/vatandas/") else "demo"
        check(who, f"GET {path}", visitors[who].client.get(path))

    # The opt-out code step with a wrong code (its session holds the address the code went to).
    optout = Client()
    phone = CitizenAddress.objects.filter(kind="phone").order_by("pk").first().value
    optout.post(f"/ret/{brand.brand_code}/", {"address": phone})
    response = optout.post(f"/ret/{brand.brand_code}/kod/", {"code": "000000"})
    assert 'class="errorlist' in (_html(response) or ""), response.status_code
    check("anonymous", "POST opt-out code", response)

    assert not without_errors, without_errors  # the forms above did come back with their errors
    assert describedby >= 30, describedby  # the check is about something
    assert not broken, f"{len(broken)} references to missing ids:\n" + "\n".join(sorted(set(broken)))


def test_the_check_finds_a_reference_to_a_missing_id():
    missing, _ = dangling('<input id="id_a" aria-describedby="id_a_helptext id_a_error"><div id="id_a_error"></div>'
                          '<label for="id_b">B</label>')
    assert missing == ["<input#id_a> aria-describedby='id_a_helptext'", "<label#> for='id_b'"]
