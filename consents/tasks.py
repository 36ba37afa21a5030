"""Tasks of the consents app itself (the capabilities keep theirs in consents/api, uploads, review, ledger)."""
from __future__ import annotations

from celery import shared_task

from consents.outbox import outbox_dispatch


@shared_task(name="consents.dispatch_outbox")
def dispatch_outbox() -> int:
    """Beat: queue the tasks committed work recorded while the broker was unreachable (consents/outbox.py)."""
    return outbox_dispatch()
