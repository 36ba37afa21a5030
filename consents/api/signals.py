"""Citizens' own movements go to the brand's push registrations (İYS push), queued after commit.

Connected in ConsentsConfig.ready(), so the models never reach up to a task.
"""
from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save

from consents.models import ConsentEvent, PushRegistration, PushState

from .tasks import push_event


def queue_push_for_citizen_movement(sender: type, instance: ConsentEvent, created: bool, **kwargs: object) -> None:
    """Citizens' own movements (IYS_* sources) go to the brand's push registrations after commit."""
    source = instance.source or ""
    if not created or not source.startswith("IYS_"):
        return
    event_id, brand_id, channel = instance.pk, instance.brand_id, instance.channel

    def enqueue() -> None:
        # Most brands register no push endpoint: skip the broker round trip for them.
        if PushRegistration.objects.filter(brand_id=brand_id, channel=channel, state=PushState.ACTIVE).exists():
            push_event.delay(event_id)

    transaction.on_commit(enqueue)


def connect() -> None:
    post_save.connect(queue_push_for_citizen_movement, sender=ConsentEvent, dispatch_uid="api_push_on_event")
