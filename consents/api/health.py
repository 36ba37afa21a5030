"""Integrator health as İYS measures it: an API user's share of successful requests over 24 hours.

İYS warns an integrator whose success rate falls under 70 % once it made at least 20,000 requests in 24 hours,
counting as failures only the caller's faults (HTTP 400, 401, 403, 404, 422). The counts live in Redis
(consents.api.ratelimit); a beat task copies them onto ApiUser for the admin, and opens an IntegratorAlert
(one open alert per user) that operators are told about, resolved when the rate recovers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from consents.models import ApiUser, IntegratorAlert

from .ratelimit import usage_24h

THRESHOLD = 0.70


def min_requests() -> int:
    """Below this many requests in 24 hours İYS does not judge a caller (API_HEALTH_MIN_REQUESTS)."""
    return int(getattr(settings, "API_HEALTH_MIN_REQUESTS", 20_000))


@dataclass(frozen=True, slots=True)
class Health:
    requests: int
    failures: int

    @property
    def rate(self) -> float | None:
        return None if not self.requests else 1 - self.failures / self.requests

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else round(100 * self.rate, 1)

    @property
    def failing(self) -> bool:
        return self.requests >= min_requests() and self.rate is not None and self.rate < THRESHOLD


def integrator_health(api_user_ids: list[int]) -> dict[int, Health]:
    return {uid: Health(r, f) for uid, (r, f) in usage_24h(api_user_ids).items()}


def check_integrator_health() -> list[int]:
    """Snapshot every active API user's 24-hour figures, open alerts for those under the threshold and
    resolve the alerts of those back above it. Returns the ids of the alerts opened now."""
    now = timezone.now()
    users = list(ApiUser.objects.filter(is_active=True).only("id"))
    health = integrator_health([u.pk for u in users])
    for user in users:
        figures = health[user.pk]
        user.health_requests, user.health_failures, user.health_checked_at = figures.requests, figures.failures, now
    ApiUser.objects.bulk_update(users, ["health_requests", "health_failures", "health_checked_at"], batch_size=500)
    failing = {uid for uid, h in health.items() if h.failing}
    IntegratorAlert.objects.filter(resolved_at__isnull=True).exclude(api_user_id__in=failing).update(resolved_at=now)
    already = set(
        IntegratorAlert.objects.filter(resolved_at__isnull=True, api_user_id__in=failing).values_list(
            "api_user_id", flat=True
        )
    )
    opened = []
    for uid in sorted(failing - already):
        try:
            # The partial unique index keeps one open alert per user if two checks race.
            with transaction.atomic():
                alert = IntegratorAlert.objects.create(
                    api_user_id=uid, opened_at=now, requests=health[uid].requests, failures=health[uid].failures
                )
        except IntegrityError:
            continue
        opened.append(alert.pk)
    return opened


def operator_addresses() -> list[str]:
    """OPERATOR_EMAILS, else every active staff user's address."""
    configured = list(getattr(settings, "OPERATOR_EMAILS", []) or [])
    if configured:
        return configured
    return list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
