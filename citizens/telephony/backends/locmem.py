"""Test backend: replies accumulate in the module-level `outbox` list (tests clear it)."""
from __future__ import annotations

from django.http import HttpResponse

from .base import CallReply
from .json import TelephonyBackend as JsonBackend

outbox: list[CallReply] = []


class TelephonyBackend(JsonBackend):
    def respond(self, reply: CallReply) -> HttpResponse:
        outbox.append(reply)
        return super().respond(reply)
