"""Test backend: messages accumulate in the module-level `outbox` list (tests clear it)."""
from __future__ import annotations

from collections.abc import Sequence

from ..message import SmsMessage
from .base import BaseSmsBackend

outbox: list[SmsMessage] = []


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)
