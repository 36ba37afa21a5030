"""Production backend: POSTs each message as JSON to the SMS gateway.

Request: POST {SMS_GATEWAY_URL} with `Authorization: Bearer {SMS_GATEWAY_TOKEN}` and
{"to": "+905...", "text": "..."}; any 2xx answer counts as accepted.
"""
from __future__ import annotations

from collections.abc import Sequence

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..message import SmsMessage
from .base import BaseSmsBackend, SmsSendError

DEFAULT_TIMEOUT_SECONDS = 10.0


class SmsBackend(BaseSmsBackend):
    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token or settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout or getattr(settings, "SMS_GATEWAY_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)
        self.transport = transport  # tests inject httpx.MockTransport: the gateway is the outside world
        if not self.url:
            raise ImproperlyConfigured("SMS_GATEWAY_URL is not set")

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        sent = 0
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with httpx.Client(timeout=self.timeout, transport=self.transport, headers=headers) as client:
            for message in messages:
                try:
                    response = client.post(self.url, json={"to": message.to, "text": message.body})
                    response.raise_for_status()
                except httpx.HTTPError as exc:
                    if self.fail_silently:
                        continue
                    raise SmsSendError(f"SMS gateway failed for {message.to}: {exc}") from exc
                sent += 1
        return sent
