"""Background work of the business portal."""
from __future__ import annotations

from celery import shared_task

from .selectors import refresh_dashboard_numbers


@shared_task(ignore_result=True)
def refresh_dashboard(provider_id: int) -> None:
    """Recompute a provider's dashboard numbers into the cache (idempotent: it only overwrites them)."""
    refresh_dashboard_numbers(provider_id=provider_id)
