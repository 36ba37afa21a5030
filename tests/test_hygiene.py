"""Every form refuses control characters on the field that carries them; text that may span lines keeps its
line breaks. One mechanism (config/hygiene.py), and every form of the project uses it."""

from __future__ import annotations

import importlib
import inspect
from urllib.parse import quote

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from citizens.complaints.forms import ComplaintForm
from citizens.forms import CodeForm
from citizens.models import Citizen, OneTimeCode
from config.hygiene import RefusesControlCharacters, forbidden_character, printable
from providers.models import Role
from tests import factories
from tests.citizens.conftest import make_citizen, sign_in_client

FORM_MODULES = [
    "citizens.forms",
    "citizens.optout.forms",
    "citizens.complaints.forms",
    "providers.forms",
    "consents.api.portal",
    "consents.uploads.forms",
    "consents.portal.forms",
    "config.hygiene",
]
PROJECT = ("citizens", "providers", "consents", "config")


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *all_subclasses(sub)}
    return found


def test_every_form_of_the_project_refuses_control_characters():
    for module in FORM_MODULES:
        importlib.import_module(module)
    ours = [c for c in all_subclasses(forms.BaseForm) if c.__module__.split(".")[0] in PROJECT]
    assert len(ours) >= 15
    missing = [f"{c.__module__}.{c.__name__}" for c in ours if not issubclass(c, RefusesControlCharacters)]
    assert not missing, missing
    # And the admin signs in through one of them.
    assert issubclass(admin.site.login_form, RefusesControlCharacters)


def test_which_characters_are_refused():
    assert forbidden_character("Ayşe Öztürk — “İstanbul” 😀") is None
    for bad in ("\x00", "\x01", "\x1b", "\x7f", "\ud800", "\t", "\n", "\r"):
        assert forbidden_character(f"a{bad}b") == bad
    # Where text spans lines, tab and line breaks are text.
    for fine in ("\t", "\n", "\r\n"):
        assert forbidden_character(f"a{fine}b", multiline=True) is None
    assert forbidden_character("a\x00b", multiline=True) == "\x00"
    assert printable("a\x00b\ud800") == "a\ufffdb\ufffd"


@pytest.mark.django_db
def test_citizen_sign_in_names_the_field(client):
    page = client.post(reverse("citizens:sign_in"), {"address": "0532 123\x00 45 67"})
    assert page.status_code == 200
    assert "kontrol karakteri içeremez (U+0000)" in page.content.decode()
    assert not OneTimeCode.objects.exists()


@pytest.mark.django_db
def test_portal_login_and_admin_login_name_the_field():
    user = get_user_model().objects.create_superuser("op", "op@example.org", "parola-123456")
    for url in (reverse("portal:login"), reverse("admin:login")):
        page = Client().post(url, {"username": "op\x00", "password": "parola-123456"})
        assert page.status_code == 200, url
        assert page.context["form"].errors["username"] == [
            "Bu alan kontrol karakteri içeremez (U+0000). Metni yeniden yazıp tekrar deneyin."
        ], url
    # The right credentials still sign in.
    assert Client().post(reverse("admin:login"), {"username": "op", "password": "parola-123456"}).status_code == 302
    assert user.is_active


@pytest.mark.django_db
def test_portal_search_refuses_instead_of_crashing(client):
    membership = factories.MembershipFactory(role=Role.VIEWER)
    factories.BrandFactory(provider=membership.provider, is_master=True)
    client.force_login(membership.user)
    page = client.get(reverse("portal:consents"), {"q": "a\x00b"})
    assert page.status_code == 200
    assert "q" in page.context["form"].errors


@pytest.mark.django_db
def test_multi_line_text_keeps_line_breaks_but_not_nul(brand):
    citizen = Citizen.objects.create()
    base = {"brand": "Marka", "channel": "MESAJ", "received_at": "2026-11-30T10:00"}
    form = ComplaintForm({**base, "message_text": "Merhaba\r\n\tkampanya"}, citizen=citizen)
    form.is_valid()
    assert "message_text" not in form.errors
    form = ComplaintForm({**base, "message_text": "Merhaba\x00"}, citizen=citizen)
    assert not form.is_valid() and "U+0000" in str(form.errors["message_text"])
    # A single-line field refuses a line break.
    form = ComplaintForm({**base, "brand": "Marka\nİkinci satır", "message_text": "x"}, citizen=citizen)
    assert not form.is_valid() and "U+000A" in str(form.errors["brand"])


def test_guarding_one_form_leaves_the_class_fields_untouched():
    CodeForm({"code": "1"})
    assert inspect.ismethod(CodeForm.base_fields["code"].clean)


BAD = ["a\x00b", "a\x1bb", "a\ud800b"]


def _quoted(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


@pytest.mark.django_db
def test_parameters_read_without_a_form_never_crash_a_page(client, brand, settings):
    """Query and form parameters that pages read directly: control characters never make a 500."""
    citizen = make_citizen("+905321234567")
    sign_in_client(client, citizen)
    member = factories.MembershipFactory(provider=brand.provider, role=Role.OWNER)
    portal = Client(raise_request_exception=False)
    portal.force_login(member.user)
    citizen_client = client
    citizen_client.raise_request_exception = False
    anonymous = Client(raise_request_exception=False)
    failures = []
    for bad in BAD:
        q = _quoted(bad)
        answers = {
            "add_brand q": citizen_client.get(f"{reverse('citizens:add_brand')}?q={q}"),
            "sign_in next": anonymous.get(f"{reverse('citizens:sign_in')}?next={q}"),
            "reject brand": citizen_client.post(
                reverse("citizens:reject"), f"scope=brand&brand={q}", content_type="application/x-www-form-urlencoded"
            ),
            "consents page": portal.get(f"{reverse('portal:consents')}?page={q}&brand={q}&q={q}"),
            "retailer brand": portal.get(f"{reverse('portal:retailer_create')}?brand={q}"),
            "signed link": anonymous.get(f"/ret/b/{q}/"),
            "sms inbound": anonymous.post(
                reverse("optout:sms_inbound"), f"from=%2B905321234567&text={q}",
                content_type="application/x-www-form-urlencoded", HTTP_X_ILETI_SECRET=settings.SMS_INBOUND_SECRET,
            ),
        }
        failures += [f"{name} {bad!r}: {r.status_code}" for name, r in answers.items() if r.status_code >= 500]
    assert not failures, failures
    # The brand search is a form: the refusal is shown on its field.
    page = citizen_client.get(reverse("citizens:add_brand") + "?q=a%00b")
    assert "kontrol karakteri içeremez (U+0000)" in page.content.decode()
