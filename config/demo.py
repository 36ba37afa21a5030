"""Demo-data builders, one per app, run in order by `manage.py demo_data`.

Each builder is "module:function" taking a DemoContext and returning lines to print (how to sign in).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

BUILDERS: list[str] = [
    "providers.demo:build",
    "consents.demo:build",
    "citizens.demo:build",
    "citizens.optout.demo:build",
    "consents.api.demo:build",
    "consents.uploads.demo:build",
]


@dataclass
class DemoContext:
    small: bool = False  # fewer consents, for CI's smoke run
    rng: random.Random = field(default_factory=lambda: random.Random(2021))
    # What earlier builders made, for later ones: "providers", "brands", "retailers", "intermediary", ...
    objects: dict[str, Any] = field(default_factory=dict)
