"""With DEBUG off, 400/403/404/500 and CSRF failures are the site's own pages in the visitor's language."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults
from django.views.csrf import csrf_failure

from tests.language import leaks_in, visible_chunks


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"), [("tr", "Sayfa bulunamadı"), ("en", "Page not found")]
)
def test_mistyped_address_shows_the_sites_404_in_the_chosen_language(client, settings, language, expected):
    settings.DEBUG = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/ret/123456/")
    page = response.content.decode()
    assert response.status_code == 404
    assert expected in page and 'class="topbar"' in page and f'lang="{language}"' in page
    assert "Not Found" not in page and "The requested resource" not in page


def _render(view, language: str, *args):
    request = RequestFactory().get("/bir-sayfa/")
    with translation.override(language):
        return view(request, *args)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["tr", "en"])
def test_error_pages_are_designed_and_monolingual(language):
    responses = {
        400: _render(defaults.bad_request, language, Exception("bad")),
        403: _render(defaults.permission_denied, language, PermissionDenied()),
        404: _render(defaults.page_not_found, language, Http404()),
        500: _render(defaults.server_error, language),
        "csrf": _render(csrf_failure, language, "CSRF token missing."),
    }
    for kind, response in responses.items():
        page = response.content.decode()
        assert 'class="topbar"' in page and 'href="/static/css/ileti.css"' in page, kind
        assert f'lang="{language}"' in page, kind
        assert list(leaks_in(visible_chunks(response), language, codes={})) == [], kind
    headings = {"tr": ("Bir hata oluştu", "Form süresi doldu"), "en": ("An error occurred", "The form has expired")}
    assert headings[language][0] in responses[500].content.decode()
    assert headings[language][1] in responses["csrf"].content.decode()
    assert "CSRF verification failed" not in responses["csrf"].content.decode()
