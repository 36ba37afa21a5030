"""A provider's ONAY over a citizen's own RET: the citizen is told after the movement commits.

Connected in CitizensConfig.ready(), so the consents core never reaches up to a citizens task. The
upload's SQL path writes history without signals: the beat sweep (`citizens.notify_rejection_overrides`)
finds those rows.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save

from consents.models import ConsentEvent

from .tasks import notify_rejection_overrides


def queue_rejection_override_notice(sender: type, instance: ConsentEvent, created: bool, **kwargs: object) -> None:
    if not created or not instance.overrides_citizen_rejection:
        return
    event_id = instance.pk
    # robust: a broker outage after commit must not fail the committed movement; the beat sweep
    # (rejection-override-notices) sends the notice later.
    transaction.on_commit(lambda: notify_rejection_overrides.delay([event_id]), robust=True)


def connect() -> None:
    post_save.connect(queue_rejection_override_notice, sender=ConsentEvent, dispatch_uid="citizens_override_notice")
