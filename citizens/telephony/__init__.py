"""Rejection by call: the registry's phone line (an IVR gateway) and its pluggable backend, like citizens.sms.

A citizen calls the registry's line (CALL_RET_NUMBER), keys in a brand code, and the gateway posts the call to
the signed webhook `/arama/inbound/` (citizens.optout.views.call_inbound). What the line then says is
rendered by the backend named in settings.TELEPHONY_BACKEND, because every gateway has its own markup:

- citizens.telephony.backends.json.TelephonyBackend: the production answer, JSON `{"say", "hangup"}`;
- citizens.telephony.backends.console.TelephonyBackend: the same, also printed (development);
- citizens.telephony.backends.locmem.TelephonyBackend: the same, kept in `locmem.outbox` (tests).
"""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .backends.base import BaseTelephonyBackend, CallReply

__all__ = ["BaseTelephonyBackend", "CallReply", "get_backend"]


def get_backend(path: str | None = None, **kwargs: object) -> BaseTelephonyBackend:
    """An instance of the configured backend (or of `path`)."""
    return import_string(path or settings.TELEPHONY_BACKEND)(**kwargs)
