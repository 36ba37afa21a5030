"""Prometheus metrics (prometheus-client) and the protected /metrics endpoint.

Two kinds of series:

* Per process — request latency per route (`ileti_http_request_duration_seconds`) and responses per route
  and status class, observed by config.observability.ObservabilityMiddleware in the web process that served
  the request. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR (docs/operations.md) so /metrics sums the
  workers of its host.
* Registry-wide — rows of finished uploads, consents finalised, rejections recorded, the Celery queues' depth
  and oldest age, the finaliser's last run. The work happens in Celery workers on other machines, so those
  counters live in the shared cache (Redis; `bump()`: one INCRBY per upload, finaliser run or rejection, never
  per row) and the gauges are read from Redis when Prometheus scrapes. Every web host serves the same
  values for them: aggregate those with max(), not sum().
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

# --- per process: the request path ------------------------------------------------------------------------

REQUEST_LATENCY = Histogram(
    "ileti_http_request_duration_seconds",
    "Time from the first middleware to the response (streamed bodies: to their first byte), by URL route.",
    ["route", "method"],
    # From a cached may-I-send answer (a few ms) to a slow export page.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RESPONSES = Counter(
    "ileti_http_responses_total", "Responses by URL route and status class (2xx, 4xx, 5xx).",
    ["route", "method", "status"],
)
_STATUS_CLASS = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(route, method).observe(seconds)
    RESPONSES.labels(route, method, _STATUS_CLASS.get(status // 100, "other")).inc()


# --- registry-wide counters, kept in the shared cache ---------------------------------------------------------

_PREFIX = "ileti:metrics:"
UPLOAD_OUTCOMES = ("inserted", "updated", "unchanged", "refused")
REJECTION_ORIGINS = ("citizen", "provider")
REJECTION_VIAS = ("WEB", "UPLOAD", "API", "SMS", "CALL", "OPTOUT_LINK", "ADMIN", "SYSTEM")
FINALIZE_LAST_RUN = "review_finalize_last_run"
FINALIZE_MORE = "review_finalize_more"


def bump(name: str, amount: int = 1) -> None:
    """Add to a registry-wide counter. Never fails the work it counts (a metric is not worth an error)."""
    if amount <= 0:
        return
    key = _PREFIX + name
    try:
        try:
            cache.incr(key, amount)
        except ValueError:  # first use (or the cache lost it): start it, racing writers both land
            if not cache.add(key, amount, timeout=None):
                cache.incr(key, amount)
    except Exception:
        log.warning("metric %s not counted", name, exc_info=True)


def count_upload_rows(*, inserted: int, updated: int, unchanged: int, refused: int) -> None:
    for outcome, amount in zip(UPLOAD_OUTCOMES, (inserted, updated, unchanged, refused), strict=True):
        bump(f"upload_rows:{outcome}", amount)


def count_rejection(*, origin: str, via: str) -> None:
    bump(f"rejections:{origin}:{via}")


def record_finalize_run(*, finalized: int, more: bool) -> None:
    bump("review_finalized", finalized)
    try:
        cache.set_many({_PREFIX + FINALIZE_LAST_RUN: time.time(), _PREFIX + FINALIZE_MORE: int(more)}, timeout=None)
    except Exception:
        log.warning("finaliser run not recorded in metrics", exc_info=True)


class RegistryCollector(Collector):
    """Series read from the shared cache and the broker at scrape time (the same on every web host)."""

    def collect(self):
        from config.queues import queue_stats

        keys = [f"upload_rows:{o}" for o in UPLOAD_OUTCOMES]
        keys += [f"rejections:{o}:{v}" for o in REJECTION_ORIGINS for v in REJECTION_VIAS]
        keys += ["review_finalized", FINALIZE_LAST_RUN, FINALIZE_MORE]
        try:
            values = cache.get_many([_PREFIX + k for k in keys])
        except Exception:
            log.warning("metrics: cache unavailable", exc_info=True)
            values = {}

        def value(key: str) -> float:
            return float(values.get(_PREFIX + key) or 0)

        rows = CounterMetricFamily("ileti_upload_rows", "Rows of finished uploads, by outcome.", labels=["outcome"])
        for outcome in UPLOAD_OUTCOMES:
            rows.add_metric([outcome], value(f"upload_rows:{outcome}"))
        yield rows
        rejections = CounterMetricFamily(
            "ileti_rejections", "RET movements recorded (a citizen's own, or a business's), by origin and channel "
            "of entry; per hour: increase(ileti_rejections_total[1h]).", labels=["origin", "via"],
        )
        for origin in REJECTION_ORIGINS:
            for via in REJECTION_VIAS:
                rejections.add_metric([origin, via], value(f"rejections:{origin}:{via}"))
        yield rejections
        yield CounterMetricFamily(
            "ileti_review_finalized", "Declared consents the review finaliser made final.",
            value=value("review_finalized"),
        )
        yield GaugeMetricFamily(
            "ileti_review_finalize_last_run_timestamp_seconds", "When the last finaliser run ended (Unix time).",
            value=value(FINALIZE_LAST_RUN),
        )
        yield GaugeMetricFamily(
            "ileti_review_finalize_backlog", "1 when the last finaliser run stopped on its budget with due "
            "consents left (it re-queued itself), 0 when it finished them.", value=value(FINALIZE_MORE),
        )

        try:
            stats = queue_stats()
        except Exception:
            log.warning("metrics: broker unavailable", exc_info=True)
            stats = {}
        depth = GaugeMetricFamily("ileti_celery_queue_depth", "Tasks waiting in a Celery queue.", labels=["queue"])
        age = GaugeMetricFamily(
            "ileti_celery_queue_oldest_age_seconds", "Age of the oldest task waiting in a Celery queue (0 = empty).",
            labels=["queue"],
        )
        for queue, stat in stats.items():
            depth.add_metric([queue], stat.depth)
            age.add_metric([queue], stat.oldest_age_s or 0.0)
        yield depth
        yield age
        batches = stats.get("api_batches")
        yield GaugeMetricFamily(
            "ileti_api_batch_queue_age_seconds",
            "Age of the oldest API batch chunk waiting for a worker (the api_batches queue; 0 = none waiting).",
            value=(batches.oldest_age_s or 0.0) if batches else 0.0,
        )


_registry_collector = RegistryCollector()


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(_registry_collector)
    return registry


class _ProcessMetrics(Collector):
    """This process's own series (the default registry: our histograms plus Python's process figures)."""

    def collect(self):
        yield from REGISTRY.collect()


# --- the endpoint ---------------------------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    """METRICS_TOKEN (a bearer token) and/or METRICS_ALLOWED_NETWORKS (CIDRs of the scrapers); both when both
    are set. Neither set: the endpoint is closed (404), so a deployment never exposes it by accident."""
    from config.client_ip import client_ip

    token = getattr(settings, "METRICS_TOKEN", "")
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", [])
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return False
    if networks:
        try:
            address = ipaddress.ip_address(client_ip(request) or "")
        except ValueError:
            return False
        if not any(address in ipaddress.ip_network(net, strict=False) for net in networks):
            return False
    return True


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not getattr(settings, "METRICS_TOKEN", "") and not getattr(settings, "METRICS_ALLOWED_NETWORKS", []):
        return HttpResponse(status=404)
    if not _allowed(request):
        return HttpResponse(status=403, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
