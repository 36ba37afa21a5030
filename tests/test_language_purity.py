"""Every page and download speaks one language: a crawler walks every URL of the URLconf as each kind of user,
in Turkish and in English, and fails on text of the other language.

"Text of the other language" is read from the catalogues themselves: in English, no Turkish msgid of
locale/en whose English differs; in Turkish, no English msgstr of locale/en and no English msgid of Django's
own Turkish catalogues (the admin's "Add", "Not Found", ...). Model labels must be translatable (a field
without a verbose_name shows as "CREATED AT"), and codes shown to people come with their label.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from citizens.auth import CITIZEN_SESSION_KEY
from citizens.models import CitizenAddress, Complaint
from citizens.optout.services import optout_token_for
from config.demo import BUILDERS, DemoContext
from consents.models import Consent, Source, Upload, Via
from consents.models.consent import ActorKind
from providers import geo
from providers.models import Brand, IntermediaryAuthorization, Provider, Retailer
from tests.language import leaks_in, visible_chunks

# Django stores permission names once, at migrate time ("Can add izin"): data of Django's, not our wording.
PERMISSION_NAME = re.compile(r"\| Can (?:add|change|delete|view) ")
# The words a person may type for a source are Turkish in every language (consents/people.py): a list of
# "label (CODE)" pairs is that input vocabulary, not a translation left undone.
INPUT_VOCABULARY = re.compile(r"\(HS_[A-Z_]+\)")
# Codes that are words of both languages.
NEUTRAL_CODES = {"SMS", "API"}
# Machines' endpoints (İYS JSON, health, metrics), form posts and the language switch: nothing a person reads as a page.
SKIPPED_PREFIXES = ("/api/", "/i18n/", "/sms/inbound/", "/healthz", "/metrics")


@dataclass
class Leak:
    who: str
    url: str
    text: str
    why: str

    def __str__(self) -> str:
        return f"[{self.who}] {self.url}: {self.why}: {self.text[:160]!r}"



# --- who visits and which URLs exist ----------------------------------------------------------------------


@dataclass
class Visitor:
    name: str
    client: Client
    citizen_pages: bool = True
    paths: list[str] = field(default_factory=list)


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, list[str]]]:
    """(route with <params>, full name, param names) for every pattern of the URLconf."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner_ns = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner_ns)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield route, namespace + (entry.name or ""), list(entry.pattern.converters) or re.findall(
                r"\(\?P<(\w+)>", route
            )


def _admin_object_ids() -> dict[str, list[str]]:
    """admin:<app>_<model>_ -> the pk of one object of that model (an empty table gives no object pages)."""
    found: dict[str, list[str]] = {}
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            found[f"admin:{model._meta.app_label}_{model._meta.model_name}_"] = [str(obj.pk)]
    return found


def crawl_paths(params: dict[str, list[str]]) -> list[str]:
    object_ids = _admin_object_ids()
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    paths: list[str] = []
    for route, name, names in _walk(get_resolver().url_patterns):
        route = "/" + route.lstrip("^").rstrip("$").replace("\\Z", "").replace("^", "")
        if route.startswith(SKIPPED_PREFIXES) or name in {"admin:view_on_site", "admin:logout"}:
            continue
        if not names:
            if "(" not in route and "<" not in route:
                paths.append(route)
            continue
        choices: list[dict[str, str]] = [{}]
        for param in names:
            if param == "object_id":
                values = next((ids for prefix, ids in object_ids.items() if name.startswith(prefix)), [])
            elif param == "app_label":
                values = app_labels
            else:
                values = params.get(param, [])
            choices = [dict(choice, **{param: value}) for choice in choices for value in values]
        for choice in choices:
            path = route
            for param, value in choice.items():
                path = re.sub(rf"<(?:\w+:)?{param}>|\(\?P<{param}>[^)]*\)", value, path)
            if "<" not in path and "(?P" not in path:
                paths.append(path)
    paths += ["/ret/123456/", "/vatandas/bu-sayfa-yok/", "/isletme/yok/"]  # mistyped addresses: the 404 page
    return sorted(set(paths))


# --- the crawl --------------------------------------------------------------------------------------------


@pytest.fixture
def demo_registry(db) -> DemoContext:
    ctx = DemoContext(small=True)
    for ref in BUILDERS:
        module_name, func_name = ref.split(":")
        getattr(import_module(module_name), func_name)(ctx)
    return ctx


def _url_params() -> dict[str, list[str]]:
    brand = Brand.objects.get(brand_code=700101)
    address = CitizenAddress.objects.filter(verified_at__isnull=False, released_at__isnull=True).order_by("pk").first()
    complaint = Complaint.objects.order_by("pk").first()
    return {
        "brand_code": [str(brand.brand_code)],
        "code": [str(Retailer.objects.filter(brand=brand).order_by("code").first().code)],
        "pk": sorted({
            str(pk) for pk in (
                Consent.objects.filter(brand=brand).order_by("pk").values_list("pk", flat=True).first(),
                Upload.objects.filter(brand__provider=brand.provider).order_by("pk").values_list("pk", flat=True).first(),
                IntermediaryAuthorization.objects.filter(brand=brand).order_by("pk").values_list("pk", flat=True).first(),
            ) if pk
        }),
        "address_id": [str(address.pk)] if address else [],
        "complaint_id": [str(complaint.pk)] if complaint else [],
        "token": [optout_token_for(brand=brand, recipient=address.value)] if address else [],
    }


def _visitors(ctx: DemoContext) -> list[Visitor]:
    users = ctx.objects["users"]
    visitors = [Visitor("anonymous", Client())]
    citizen_client = Client()
    session = citizen_client.session
    citizen = CitizenAddress.objects.filter(verified_at__isnull=False).order_by("pk").first().citizen
    session[CITIZEN_SESSION_KEY] = citizen.pk
    session.save()
    visitors.append(Visitor("citizen", citizen_client))
    for username in ("demo", "operator", "viewer", "bayi", "admin"):
        client = Client()
        client.force_login(users[username])
        visitors.append(Visitor(username, client))
    return visitors


def _codes(citizen_page: bool) -> dict[str, str]:
    """Raw choice values whose label differs: a person sees the label (İYS's own codes excepted in the portal)."""
    choices: list[type[models.TextChoices]] = [Source, Via, ActorKind]
    codes = {
        str(value): str(label) for choice in choices for value, label in choice.choices
        if value != label and value not in NEUTRAL_CODES
    }
    if not citizen_page:
        codes = {code: label for code, label in codes.items() if not code.startswith(("HS_", "IYS_"))}
    return codes


def _data() -> frozenset[str]:
    """What people typed (names, usernames): data, not wording."""
    User = get_user_model()
    values: set[str] = set(User.objects.values_list("username", flat=True))
    for model, fields in ((Brand, ("name",)), (Retailer, ("name", "city", "town")), (Provider, ("name",))):
        for row in model.objects.values_list(*fields):
            values.update(v for v in row if v)
    # Place names (a district is called "Perşembe", another "Aralık").
    values.update(city.name for city in geo.cities())
    values.update(town.name for town in geo.towns())
    return frozenset(values)


def test_every_page_speaks_one_language(demo_registry, settings):
    settings.DEBUG = False
    data = _data()
    params = _url_params()
    paths = crawl_paths(params)
    assert len(paths) > 60, paths  # the whole URLconf, admin included
    leaks: list[Leak] = []
    statuses: dict[int, int] = {}
    for visitor in _visitors(demo_registry):
        for language in ("tr", "en"):
            visitor.client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            for path in paths:
                response = visitor.client.get(path)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                who = f"{visitor.name}/{language}"
                if response.status_code >= 500:
                    leaks.append(Leak(who, path, str(response.status_code), "server error"))
                    continue
                citizen_page = path.startswith(("/vatandas/", "/ret/"))
                for text, why in leaks_in(visible_chunks(response), language, codes=_codes(citizen_page), data=data):
                    if not PERMISSION_NAME.search(text) and not INPUT_VOCABULARY.search(text):
                        leaks.append(Leak(who, path, text, why))
    assert statuses.get(200, 0) > 200, statuses
    unique = sorted({(leak.url, leak.text, leak.why): leak for leak in leaks}.values(), key=str)
    assert not unique, f"{len(unique)} leaks:\n" + "\n".join(map(str, unique))
