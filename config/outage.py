"""Honest answers while PostgreSQL or Redis cannot be reached: 503 with Retry-After, never a 500.

An outage is not a bug of ours and not the client's fault: the request may be repeated once the service is back.
Every such error ends here, whatever raised it (a view, a middleware reading the session, the cache behind a
rate limit), because Django hands every uncaught exception to the 500 handler (`handler500` in config/urls.py)
and the API's own exception handler (consents/api/app.py) asks `is_outage` too:

- the integration API answers İYS's error shape, 503 `ILT503` and `Retry-After`;
- the SMS gateway's and the rejection line's webhooks answer JSON 503, so the gateways retry the delivery;
- pages answer the site's "hizmet geçici olarak kullanılamıyor" page (templates/503.html) in the visitor's
  language, rendered without a request (no session, no database, no context processors);
- anything else is Django's own 500 page, as before.

See docs/operations.md ("Faults") for what each path does during an outage.
"""
from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.views import defaults

from config.transient import OUTAGE_ERRORS, is_outage
from consents.api.errors import IysError, error_response

__all__ = ["OUTAGE_ERRORS", "is_outage", "server_error", "unavailable"]

logger = logging.getLogger(__name__)


# Paths answered in JSON: machines call them and retry on 503.
WEBHOOK_PATHS = ("/sms/inbound/", "/arama/inbound/")
API_PREFIX = "/api/"


def retry_after() -> int:
    return int(getattr(settings, "OUTAGE_RETRY_AFTER_S", 5))


def api_unavailable() -> HttpResponse:
    return error_response(IysError.of("ILT503", headers={"Retry-After": str(retry_after())}))


def webhook_unavailable() -> HttpResponse:
    response = JsonResponse({"ok": False, "error": "unavailable", "retry_after": retry_after()}, status=503)
    response["Retry-After"] = str(retry_after())
    return response


def _language(request: HttpRequest) -> str:
    # The locale middleware may not have run (the error came from an earlier middleware): read the cookie
    # the way config.middleware.TurkishFirstLocaleMiddleware does.
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def page_unavailable(request: HttpRequest) -> HttpResponse:
    with translation.override(_language(request)):
        body = loader.get_template("503.html").render({"retry_after": retry_after()})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(retry_after())
    response["Cache-Control"] = "no-store"
    return response


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer that fits the caller."""
    path = request.path_info
    if path.startswith(API_PREFIX) and not path.startswith("/api/docs"):
        return api_unavailable()
    if path.startswith(WEBHOOK_PATHS):
        return webhook_unavailable()
    return page_unavailable(request)


def server_error(request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    """handler500: an outage is a 503 the client may retry; anything else is the site's 500 page."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        logger.warning("service unavailable on %s %s: %r", request.method, request.path, exc)
        return unavailable(request)
    if request.path_info.startswith(WEBHOOK_PATHS):
        return JsonResponse({"ok": False, "error": "server error"}, status=500)
    return defaults.server_error(request, template_name)
