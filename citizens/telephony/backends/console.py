"""Development backend: prints what the line says to the caller, and answers like the production backend."""
from __future__ import annotations

import sys

from django.http import HttpResponse

from .base import CallReply
from .json import TelephonyBackend as JsonBackend


class TelephonyBackend(JsonBackend):
    def __init__(self, *, stream: object = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout

    def respond(self, reply: CallReply) -> HttpResponse:
        self.stream.write(f"--- call {reply.call_id} from {reply.to} ({reply.outcome}) ---\n{reply.say}\n")
        self.stream.flush()
        return super().respond(reply)
