"""Celery tasks of the campaign pre-check: they take ids and are idempotent (consents.portal.precheck)."""
from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from .precheck import precheck_run, prechecks_expire, prechecks_stalled


@shared_task(name="consents.run_campaign_check", acks_late=True)
def run_campaign_check(check_id: int) -> dict[str, int | str] | None:
    audit = precheck_run(check_id=check_id)
    if audit is None:
        return None
    return {"state": audit.state, "rows": audit.rows, "allowed": audit.allowed, "refused": audit.refused}


@shared_task(name="consents.sweep_campaign_checks")
def sweep_campaign_checks(older_than_s: float | None = None) -> dict[str, int]:
    """Beat: delete expired result files, and queue again the checks whose task was lost with its worker."""
    seconds = settings.UPLOAD_SWEEP_AFTER_S if older_than_s is None else older_than_s
    ids = prechecks_stalled(older_than=dt.timedelta(seconds=seconds))
    for check_id in ids:
        run_campaign_check.delay(check_id)
    return {"expired": prechecks_expire(), "requeued": len(ids)}
