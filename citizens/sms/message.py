from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone


@dataclass(frozen=True, slots=True)
class SmsMessage:
    to: str
    body: str
    created_at: dt.datetime = field(default_factory=timezone.now)
