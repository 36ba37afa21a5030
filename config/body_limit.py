"""Request bodies are judged by their headers before a byte of them is read.

A body larger than its view accepts is refused on its `Content-Length` alone (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE covers neither file uploads nor the time spent receiving them), and a chunked
body without a `Content-Length` is refused with 411: Django's WSGI request would read it as empty and the
view would answer with a misleading "invalid request". nginx in front turns chunked bodies into sized
ones (docs/operations.md), so only clients talking to the app directly meet the 411.

The API applies the same checks in its own middleware (consents/api/middleware.py, İYS-shaped answers);
`BodyLimitMiddleware` covers every other page. A view that takes more than the default declares it with
`@body_limit(...)`, naming the page that explains the refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

View = Callable[..., HttpResponse]


@dataclass(frozen=True, slots=True)
class Limit:
    max_bytes: Callable[[], int]
    too_large: View | None = None  # renders the refusal (status 413); a plain 413 when None


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def chunked_without_length(request: HttpRequest) -> bool:
    """A body is coming, but not its size: Django would read it as empty."""
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "")
    return bool(encoding) and "chunked" in encoding.lower() and not request.META.get("CONTENT_LENGTH")


def body_limit(max_bytes: Callable[[], int], *, too_large: View | None = None) -> Callable[[View], View]:
    """Let a view take bodies up to `max_bytes()` (read at request time, so settings overrides apply)."""

    def decorate(view: View) -> View:
        view.body_limit = Limit(max_bytes, too_large)  # type: ignore[attr-defined]
        return view

    return decorate


def default_max_bytes() -> int:
    return int(settings.REQUEST_MAX_BODY_BYTES)


class BodyLimitMiddleware:
    """Refuses oversized and unsized bodies before CSRF or a form touches `request.POST`.

    Placed last in MIDDLEWARE: every other middleware's request phase has run (session, user, language),
    and no process_view (CSRF reads the body there) has.
    """

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if chunked_without_length(request):
            return HttpResponse(
                _("İstek gövdesinin boyutu (Content-Length) belirtilmelidir."),
                status=411,
                content_type="text/plain; charset=utf-8",
            )
        length = declared_length(request)
        if length:
            refused = self._refuse(request, length)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, length: int) -> HttpResponse | None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        limit = getattr(match.func, "body_limit", None) if match else None
        max_bytes = limit.max_bytes() if limit else default_max_bytes()
        if length <= max_bytes:
            return None
        if limit is not None and limit.too_large is not None and match is not None:
            response = limit.too_large(request, *match.args, **match.kwargs)
            if response.status_code == 200:
                response.status_code = 413
            return response
        mb = max_bytes / (1024 * 1024)
        return HttpResponse(
            _("İstek çok büyük: en fazla %(mb).0f MB gönderilebilir.") % {"mb": mb},
            status=413,
            content_type="text/plain; charset=utf-8",
        )
