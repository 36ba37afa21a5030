"""The API's fast lane: /api/ requests skip the middleware a browser session needs.

The integration API authenticates every request with a bearer token, sets no cookies, keeps no session,
takes no form posts from browsers (no CSRF surface) and answers in İYS's Turkish wording whatever the
visitor's language. Sessions, the language switch, CSRF, auth and messages middleware would only cost
time on the "may I send?" hot path, so this middleware (placed right after SecurityMiddleware and
WhiteNoise, which still wrap every response) calls the API view itself. The host is validated as
CommonMiddleware would. The interactive docs page keeps the full stack.

It is also the API's edge for bodies: a body larger than API_MAX_BODY_BYTES is refused (413, ILT413) on its
Content-Length before a byte is read, and a chunked body without one is refused with 411 (ILT411) instead of
being read as empty (config/body_limit.py does the same for the pages).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from config.body_limit import chunked_without_length

from .auth import max_body_bytes
from .errors import IysError, error_response

PREFIX = "/api/"
FULL_STACK = ("/api/docs",)


class ApiFastLane:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(PREFIX) or path.startswith(FULL_STACK):
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS: DisallowedHost becomes Django's 400, as for every request
        refused = _body_refused(request)
        if refused is not None:
            return _sized(error_response(refused))
        try:
            match = resolve(path)
        except Resolver404:
            return self.get_response(request)
        request.resolver_match = match
        return _sized(_iys_405(match.func(request, *match.args, **match.kwargs)))


def _iys_405(response: HttpResponse) -> HttpResponse:
    """A method the path does not take: İYS's JSON error (H1044), keeping the Allow header."""
    if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
        return response
    allow = response.get("Allow")
    answer = error_response(IysError.of("H1044"))
    if allow:
        answer["Allow"] = allow
    return answer


def _sized(response: HttpResponse) -> HttpResponse:
    if not response.streaming and not response.has_header("Content-Length"):
        # What CommonMiddleware would add: lets clients keep the connection alive.
        response.headers["Content-Length"] = str(len(response.content))
    return response


def _body_refused(request: HttpRequest) -> IysError | None:
    if chunked_without_length(request):
        return IysError.of("ILT411")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return IysError.of("H014")
    if length > max_body_bytes():
        return IysError.of("ILT413")
    return None
