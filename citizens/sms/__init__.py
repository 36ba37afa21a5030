"""Sending SMS through a pluggable backend, like Django's e-mail backends.

settings.SMS_BACKEND names a class with `send_messages(messages) -> int`:
- citizens.sms.backends.console.SmsBackend: prints (and, with DEBUG, records for the dev outbox page);
- citizens.sms.backends.locmem.SmsBackend: keeps messages in `citizens.sms.backends.locmem.outbox` (tests);
- citizens.sms.backends.http.SmsBackend: the production gateway (SMS_GATEWAY_URL / SMS_GATEWAY_TOKEN).
"""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .backends.base import BaseSmsBackend, SmsSendError
from .message import SmsMessage

__all__ = ["BaseSmsBackend", "SmsMessage", "SmsSendError", "get_backend", "send_sms"]


def get_backend(path: str | None = None, **kwargs: object) -> BaseSmsBackend:
    """An instance of the configured backend (or of `path`)."""
    return import_string(path or settings.SMS_BACKEND)(**kwargs)


def send_sms(to: str, body: str) -> None:
    """Send one SMS to an E.164 number. Raises SmsSendError when the backend cannot deliver it."""
    get_backend().send_messages([SmsMessage(to=to, body=body)])
