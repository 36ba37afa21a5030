from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpResponse


@dataclass(frozen=True, slots=True)
class CallReply:
    """What the line says to the caller before it hangs up, and the outcome for the gateway's logs."""

    call_id: str
    to: str
    say: str
    outcome: str
    hangup: bool = True


class BaseTelephonyBackend:
    """Turns a reply into the gateway's answer to its webhook call."""

    def __init__(self, **kwargs: object) -> None:
        pass

    def respond(self, reply: CallReply) -> HttpResponse:
        raise NotImplementedError
