"""Content-Security-Policy: every kind of page carries it, and nothing it would block is left in our pages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from citizens.models import Citizen
from tests import factories
from tests.citizens.conftest import make_citizen, sign_in_client

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle=", re.IGNORECASE)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _pages() -> dict[str, object]:
    """One page of each kind, signed in where the page needs it."""
    membership = factories.MembershipFactory()
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    citizen: Citizen = make_citizen("+905321234567")
    return {
        "home": "/",
        "portal": reverse("portal:dashboard"),
        "citizen": reverse("citizens:consents"),
        "opt-out": reverse("optout:brand", args=[brand.brand_code]),
        "admin": reverse("admin:consents_declarationperiod_changelist"),
        "api-docs": "/api/docs",
        "_users": (membership.user, admin, citizen),
    }


def _get(path: str, membership_user, admin, citizen) -> object:
    client = Client()
    if path.startswith("/isletme/"):
        client.force_login(membership_user)
    elif path.startswith(("/admin/", "/api/docs")):
        client.force_login(admin)
    else:
        sign_in_client(client, citizen)
    return client.get(path)


def test_every_kind_of_page_carries_the_policy_without_unsafe_inline():
    pages = _pages()
    users = pages.pop("_users")
    for kind, path in pages.items():
        response = _get(path, *users)
        assert response.status_code == 200, (kind, path, response.status_code)
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], kind
        assert policy["script-src"][0] == "'self'" and policy["style-src"][0] == "'self'", kind
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], kind
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header, kind
        # Nothing in the page depends on what the policy forbids.
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (kind, INLINE_SCRIPT.search(html).group(0))
        assert not INLINE_HANDLER.search(html), (kind, INLINE_HANDLER.search(html).group(0))
        assert not INLINE_STYLE.search(html), (kind, INLINE_STYLE.search(html).group(0))


def test_the_sign_in_and_error_pages_carry_it_too():
    for path in (reverse("portal:login"), reverse("admin:login"), "/yok-boyle-bir-sayfa/"):
        response = Client().get(path)
        assert "script-src 'self'" in response["Content-Security-Policy"], path


def test_the_api_itself_answers_without_the_page_policy():
    # JSON for machines: the fast lane skips page middleware, and a policy would mean nothing to a client.
    response = Client().get("/api/info/city")
    assert "Content-Security-Policy" not in response


def test_no_template_of_ours_needs_inline_code():
    """What the policy would block cannot creep back into any template (pages not opened above included)."""
    root = Path(settings.BASE_DIR)
    offenders = []
    paths = sorted((root / "templates").rglob("*.html")) + sorted(root.glob("*/templates/**/*.html"))
    assert len(paths) > 40  # the templates really were found
    for path in paths:
        html = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE, re.compile(r"<style\b", re.IGNORECASE)):
            match = pattern.search(html)
            if match:
                offenders.append(f"{path.relative_to(root)}: {match.group(0)[:60]}")
    assert offenders == []
