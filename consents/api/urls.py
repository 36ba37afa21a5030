"""URL patterns of the API (mounted at /api/ by config/urls.py): ninja's views, each wrapped to log
the caller's request for the portal's activity page, and a JSON 404/405 for everything else."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt

from config.client_ip import client_ip

from .app import api
from .errors import IysError, error_response
from .ratelimit import record_activity


def _logged(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        principal = getattr(request, "principal", None)
        if principal is not None:
            record_activity(
                principal.api_user_id,
                {
                    "at": time.time(),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "addr": client_ip(request) or "",
                },
            )
        return response

    return wrapped


@csrf_exempt
def _not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(IysError.of("ILT404"))


def _patterns() -> list:
    patterns, _app_name, _namespace = api.urls
    wrapped = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _logged(pattern.callback)
        wrapped.append(pattern)
    return wrapped


urlpatterns = [*_patterns(), re_path(r"^(?P<rest>.*)$", _not_found)]
app_name = "iys_api"
