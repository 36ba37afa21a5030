"""Development backend: prints each SMS, and with DEBUG records it for the dev outbox page."""
from __future__ import annotations

import sys
from collections.abc import Sequence

from ...devoutbox import record_dev_message
from ..message import SmsMessage
from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, *, stream: object = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        for message in messages:
            self.stream.write(f"--- SMS to {message.to} ---\n{message.body}\n")
            record_dev_message(kind="sms", to=message.to, body=message.body)
        self.stream.flush()
        return len(messages)
