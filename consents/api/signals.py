"""Receivers of the API: citizens' own movements go to the brand's push registrations (İYS push), queued
after commit; switching off an API user, its provider or its intermediary ends its tokens at once.

Connected in ConsentsConfig.ready(), so the models never reach up to a task.
"""
from __future__ import annotations

from django.db.models.signals import post_save

from consents.models import ApiUser, ConsentEvent, PushRegistration, PushState
from consents.outbox import outbox_enqueue
from providers.deactivation import deactivated
from providers.models import Intermediary, Provider

from .auth import revoke_tokens
from .tasks import push_event

# Which API users a switched-off row vouched for.
_OWNER_FIELD = {ApiUser: "pk", Provider: "provider_id", Intermediary: "intermediary_id"}


def queue_push_for_citizen_movement(sender: type, instance: ConsentEvent, created: bool, **kwargs: object) -> None:
    """Citizens' own movements (IYS_* sources) go to the brand's push registrations after commit."""
    source = instance.source or ""
    if not created or not source.startswith("IYS_"):
        return
    # Most brands register no push endpoint: no task for them. The task is recorded in the movement's own
    # transaction (the outbox), so a broker outage at commit neither loses it nor fails the citizen's rejection.
    if PushRegistration.objects.filter(
        brand_id=instance.brand_id, channel=instance.channel, state=PushState.ACTIVE
    ).exists():
        outbox_enqueue(push_event.name, instance.pk)


def end_tokens_of_deactivated(sender: type, pks: list, **kwargs: object) -> None:
    """Runs after the commit that switched the rows off (providers/deactivation.py), by any path."""
    field = _OWNER_FIELD.get(sender)
    if field is not None:
        revoke_tokens(ApiUser.objects.filter(**{f"{field}__in": pks}).values_list("pk", flat=True))


def connect() -> None:
    post_save.connect(queue_push_for_citizen_movement, sender=ConsentEvent, dispatch_uid="api_push_on_event")
    deactivated.connect(end_tokens_of_deactivated, dispatch_uid="api_tokens_on_deactivation")
