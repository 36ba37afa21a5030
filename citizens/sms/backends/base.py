from __future__ import annotations

from collections.abc import Sequence

from ..message import SmsMessage


class SmsSendError(Exception):
    """The gateway refused or could not be reached; the caller decides whether to retry."""


class BaseSmsBackend:
    def __init__(self, *, fail_silently: bool = False, **kwargs: object) -> None:
        self.fail_silently = fail_silently

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        """Send the messages; return how many were sent."""
        raise NotImplementedError
