"""E-mail and SMS backends for tests that must see messages sent by a worker subprocess.

Every message is appended to a Redis list on the test Redis; `fail_next(address, n)` makes the next n
sends to that address raise, the way a gateway outage does.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

import redis
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from citizens.sms import SmsSendError
from citizens.sms.backends.base import BaseSmsBackend

OUTBOX_KEY = "test:notify:outbox"
EMAIL_BACKEND = "tests.consents.review.notify_backends.EmailBackend"
SMS_BACKEND = "tests.consents.review.notify_backends.SmsBackend"


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def fail_next(address: str, times: int) -> None:
    _redis().set(f"test:notify:fail:{address}", times)


def _maybe_fail(address: str) -> None:
    key = f"test:notify:fail:{address}"
    if int(_redis().get(key) or 0) > 0:
        _redis().decr(key)
        raise SmsSendError(f"gateway unavailable for {address}")


def _record(channel: str, to: str, subject: str, body: str) -> None:
    _redis().rpush(OUTBOX_KEY, json.dumps({"channel": channel, "to": to, "subject": subject, "body": body}))


def outbox() -> list[dict]:
    return [json.loads(item) for item in _redis().lrange(OUTBOX_KEY, 0, -1)]


def clear() -> None:
    client = _redis()
    for key in client.scan_iter("test:notify:*"):
        client.delete(key)


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence) -> int:
        for message in email_messages:
            for to in message.to:
                _maybe_fail(to)
                _record("email", to, message.subject, message.body)
        return len(email_messages)


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages: Sequence) -> int:
        for message in messages:
            _maybe_fail(message.to)
            _record("phone", message.to, "", message.body)
        return len(messages)
