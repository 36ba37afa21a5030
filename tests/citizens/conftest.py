from __future__ import annotations

import re

import pytest

from citizens.sms.backends import locmem


def last_sms_code(to: str | None = None) -> str:
    """The 6-digit code of the newest SMS (to `to`, if given) in the test outbox."""
    for message in reversed(locmem.outbox):
        if to is None or message.to == to:
            match = re.search(r"\b(\d{6})\b", message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no code sent to {to}")


@pytest.fixture
def sms_outbox() -> list:
    return locmem.outbox
