"""The API's fast lane: /api/ requests skip the middleware a browser session needs.

The integration API authenticates every request with a bearer token, sets no cookies, keeps no session,
takes no form posts from browsers (no CSRF surface) and answers in İYS's Turkish wording whatever the
visitor's language. Sessions, the language switch, CSRF, auth and messages middleware would only cost
time on the "may I send?" hot path, so this middleware (placed right after SecurityMiddleware and
WhiteNoise, which still wrap every response) calls the API view itself. The host is validated as
CommonMiddleware would. The interactive docs page keeps the full stack.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

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
        try:
            match = resolve(path)
        except Resolver404:
            return self.get_response(request)
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        if not response.streaming and not response.has_header("Content-Length"):
            # What CommonMiddleware would add: lets clients keep the connection alive.
            response.headers["Content-Length"] = str(len(response.content))
        return response
