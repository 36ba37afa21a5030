"""Beat tasks of the ledger: seal new history rows into their brands' chains; build each brand's day."""
from __future__ import annotations

import datetime as dt

from celery import shared_task

from .chain import seal_pending
from .daily import brands_with_movements, build_day, istanbul_today


@shared_task(name="consents.ledger.seal_history")
def seal_history() -> int:
    """Every minute: append committed, unsealed history rows to their brand's chain (one sealer at a time)."""
    return seal_pending()


@shared_task(name="consents.ledger.build_brand_day", acks_late=True)
def build_brand_day(brand_id: int, day: str) -> bool:
    return build_day(brand=brand_id, day=dt.date.fromisoformat(day)) is not None


@shared_task(name="consents.ledger.build_daily")
def build_daily(day: str | None = None) -> int:
    """Nightly: yesterday's (or `day`'s) reconciliation for every brand that had movements."""
    target = dt.date.fromisoformat(day) if day else istanbul_today() - dt.timedelta(days=1)
    seal_pending()
    built = 0
    for brand_id in brands_with_movements(target):
        built += build_day(brand=brand_id, day=target) is not None
    return built
