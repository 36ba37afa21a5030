"""The development outbox: recent outgoing SMS and e-mail, so a newcomer can sign in as a demo citizen.

Decision: messages are recorded in the DevMessage table (not the cache) so the page works across
runserver reloads, the Celery worker and `manage.py` commands alike. Recording happens only when
settings.DEBUG is on, in the console SMS backend and in the console e-mail backend below
(config/settings/dev.py makes it the default e-mail backend). The page (/vatandas/gelistirici/giden-iletiler/)
answers 404 unless DEBUG.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend

from .models import DevMessage

KEEP_LAST = 200


def record_dev_message(*, kind: str, to: str, body: str, subject: str = "") -> None:
    if not settings.DEBUG:
        return
    DevMessage.objects.create(kind=kind, to=to[:300], subject=subject[:300], body=body)
    # Keep the table small: it is a window on recent messages, not an archive.
    stale = DevMessage.objects.order_by("-id").values_list("id", flat=True)[KEEP_LAST:KEEP_LAST + 1]
    if stale:
        DevMessage.objects.filter(id__lte=stale[0]).delete()


class DevOutboxEmailBackend(ConsoleEmailBackend):
    """Django's console e-mail backend that also records each message for the dev outbox page."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        for message in email_messages:
            record_dev_message(
                kind="email", to=", ".join(message.to), subject=str(message.subject), body=str(message.body)
            )
        return sent
