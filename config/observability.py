"""Request ids for log lines and per-route request latency for Prometheus: one cheap middleware.

It sits first in MIDDLEWARE, so it times everything the application does for a request (the API's fast
lane included) and every log line written meanwhile carries the request's id. Its cost per request is a
`perf_counter()` pair, one id, a context variable and one histogram observation (a few microseconds);
the may-I-send path pays it like every other route, so nothing here touches the database, the cache or
the request body.
"""
from __future__ import annotations

import contextvars
import re
import time
import uuid
from collections.abc import Callable

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

# The id of the request (or Celery task) this thread is working for; "-" outside of one.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("ileti_request_id", default="-")
# An id a proxy (nginx's $request_id) or a load balancer already gave the request is kept, so one id follows
# the request through every log; anything else a client sends is replaced (it only ever labels log lines).
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
REQUEST_ID_HEADER = "X-Request-ID"


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdLogFilter:
    """Adds `request_id` to every log record, for the plain and the JSON formatters."""

    def filter(self, record: object) -> bool:
        record.request_id = request_id_var.get()  # type: ignore[attr-defined]
        return True


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from config import metrics  # the metric objects exist once per process

        self.get_response = get_response
        self.observe = metrics.observe_request

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        # Kept until the response is closed (request_finished below): Django logs a 4xx/5xx ("Not Found: …")
        # after the middleware chain returned, and that line must carry the id too.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The URL pattern, never the path: one series per route, whatever ids the path carries.
        route = "/" + match.route if match is not None else "<unmatched>"
        self.observe(route, request.method or "", response.status_code, time.perf_counter() - started)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(**_: object) -> None:
    request_id_var.set("-")
