"""The production answer: JSON the IVR gateway reads aloud (text-to-speech) before hanging up."""
from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from .base import BaseTelephonyBackend, CallReply


class TelephonyBackend(BaseTelephonyBackend):
    def respond(self, reply: CallReply) -> HttpResponse:
        return JsonResponse(
            {
                "callId": reply.call_id,
                "say": reply.say,
                "language": "tr-TR",
                "hangup": reply.hangup,
                "outcome": reply.outcome,
            }
        )
