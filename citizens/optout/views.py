"""Opt-out without an account: the brand's public page, signed links (with RFC 8058 one-click) and
the inbound-SMS endpoint of the gateway and the rejection line's inbound-call webhook. Thin views: the work is
in services.py, inbound_sms.py and inbound_call.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.client_ip import client_ip
from consents.errors import ConsentRuleError
from consents.models import Consent, Via
from consents.recipients import normalize_recipient
from providers.models import Brand

from ..channels import CHANNEL_LABELS
from ..display import mask_address
from ..models import OtpPurpose
from ..otp import OtpCheck, OtpError, check_message, otp_check, otp_send, otp_tries_left
from ..sms import SmsSendError
from ..telephony import CallReply
from ..telephony import get_backend as get_telephony_backend
from .forms import OptoutAddressForm, OptoutChannelsForm, OptoutCodeForm
from .inbound_call import inbound_call_handle
from .inbound_sms import inbound_sms_handle, sender_phone
from .services import (
    FRAME_SOURCE_FOR_KIND,
    OptoutLinkError,
    channels_for,
    optout_actor,
    optout_by_link,
    optout_read_token,
    optout_reject,
)

logger = logging.getLogger(__name__)

SESSION_KEY = "optout"
DONE_KEY = "optout_done"
# After the code is confirmed the visitor has this long to choose channels before proving it again.
VERIFIED_FOR = dt.timedelta(minutes=15)


def _brand(brand_code: int) -> Brand:
    return get_object_or_404(Brand.objects.select_related("provider"), brand_code=brand_code, is_active=True)


def _state(request: HttpRequest, brand: Brand) -> dict | None:
    state = request.session.get(SESSION_KEY)
    if not state or state.get("brand") != brand.brand_code:
        return None
    return state


def _verified(state: dict | None) -> bool:
    if not state or not state.get("verified_until"):
        return False
    return dt.datetime.fromisoformat(state["verified_until"]) > timezone.now()


@never_cache
@require_http_methods(["GET", "POST"])
def optout_start(request: HttpRequest, brand_code: int) -> HttpResponse:
    """Step 1: the address to stop messages to; a code is sent to it."""
    brand = _brand(brand_code)
    form = OptoutAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recipient = form.cleaned_data["address"]
        try:
            otp_send(address=recipient.value, purpose=OtpPurpose.OPTOUT, client_ip=client_ip(request))
        except OtpError as exc:
            form.add_error("address", exc.message)
        except (ConsentRuleError, SmsSendError):
            form.add_error("address", _("Kod gönderilemedi. Lütfen biraz sonra yeniden deneyin."))
        else:
            request.session[SESSION_KEY] = {
                "brand": brand.brand_code, "address": recipient.value, "verified_until": None,
            }
            return redirect("optout:code", brand_code=brand.brand_code)
    context = {"brand": brand, "form": form, "ret_number": settings.SMS_RET_NUMBER}
    return render(request, "citizens/optout/start.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def optout_code(request: HttpRequest, brand_code: int) -> HttpResponse:
    """Step 2: the code proves the visitor receives messages at the address."""
    brand = _brand(brand_code)
    state = _state(request, brand)
    if state is None:
        return redirect("optout:brand", brand_code=brand.brand_code)
    form = OptoutCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = otp_check(address=state["address"], purpose=OtpPurpose.OPTOUT, code=form.cleaned_data["code"])
        if result is OtpCheck.OK:
            state["verified_until"] = (timezone.now() + VERIFIED_FOR).isoformat()
            request.session[SESSION_KEY] = state
            return redirect("optout:channels", brand_code=brand.brand_code)
        tries_left = (
            otp_tries_left(address=state["address"], purpose=OtpPurpose.OPTOUT) if result is OtpCheck.WRONG else None
        )
        form.add_error("code", check_message(result, tries_left=tries_left))
    context = {"brand": brand, "form": form, "masked": mask_address(state["address"])}
    return render(request, "citizens/optout/code.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def optout_channels(request: HttpRequest, brand_code: int) -> HttpResponse:
    """Step 3: choose the channels and reject them, with the owner's proof still fresh."""
    brand = _brand(brand_code)
    state = _state(request, brand)
    if not _verified(state):
        return redirect("optout:brand", brand_code=brand.brand_code)
    recipient = normalize_recipient(state["address"])
    channels = channels_for(recipient)
    form = OptoutChannelsForm(request.POST or None, channels=channels)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["channels"]
        optout_reject(
            brand=brand,
            recipient=recipient,
            channels=chosen,
            source=FRAME_SOURCE_FOR_KIND[recipient.kind],
            actor=optout_actor(recipient=recipient, channel_label="Ret sayfası"),
            via=Via.OPTOUT_LINK,
        )
        request.session.pop(SESSION_KEY, None)
        request.session[DONE_KEY] = {
            "brand": brand.brand_code, "masked": mask_address(recipient.value), "channels": list(chosen),
        }
        return redirect("optout:done", brand_code=brand.brand_code)
    current = dict(
        Consent.objects.filter(brand=brand, recipient=recipient.value, channel__in=channels)
        # An individual (BIREYSEL) record is shown over a merchant (TACIR) one: later rows win in dict().
        .order_by("-recipient_type")
        .values_list("channel", "status")
    )
    rows = [(c, CHANNEL_LABELS[c], current.get(c)) for c in channels]
    context = {"brand": brand, "form": form, "masked": mask_address(recipient.value), "rows": rows}
    return render(request, "citizens/optout/channels.html", context)


@never_cache
def optout_done(request: HttpRequest, brand_code: int) -> HttpResponse:
    brand = _brand(brand_code)
    done = request.session.get(DONE_KEY)
    if not done or done.get("brand") != brand.brand_code:
        return redirect("optout:brand", brand_code=brand.brand_code)
    labels = [CHANNEL_LABELS[c] for c in done["channels"]]
    context = {"brand": brand, "masked": done["masked"], "labels": labels, "ret_number": settings.SMS_RET_NUMBER}
    return render(request, "citizens/optout/done.html", context)


def _link_error(request: HttpRequest, error: OptoutLinkError) -> HttpResponse:
    context = {"expired": error.http_status == 410}
    return render(request, "citizens/optout/link_error.html", context, status=error.http_status)


# The link is authenticated by its signature, not by a session: RFC 8058 one-click POSTs come from
# the mail client with no cookie and no CSRF token, so this one view is exempt.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def signed_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation (mail scanners prefetch links: never reject on GET); POST rejects."""
    try:
        claim = optout_read_token(token)
    except OptoutLinkError as exc:
        return _link_error(request, exc)
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        optout_by_link(claim=claim)
        return HttpResponse(_("Ret kaydınız alındı."), content_type="text/plain; charset=utf-8")
    form = OptoutChannelsForm(request.POST if request.method == "POST" else None, channels=claim.channels)
    if request.method == "POST" and form.is_valid():
        optout_by_link(claim=claim, channels=form.cleaned_data["channels"])
        labels = [CHANNEL_LABELS[c] for c in form.cleaned_data["channels"]]
        context = {"brand": claim.brand, "masked": mask_address(claim.recipient.value), "labels": labels}
        return render(request, "citizens/optout/done.html", context)
    context = {"brand": claim.brand, "masked": mask_address(claim.recipient.value), "form": form}
    return render(request, "citizens/optout/link_confirm.html", context)


def _secret_ok(request: HttpRequest) -> bool:
    expected = settings.SMS_INBOUND_SECRET or ""
    given = request.headers.get("X-Ileti-Secret", "")
    # An unset secret disables the endpoint rather than opening it to anyone.
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _inbound_fields(request: HttpRequest) -> tuple[str, str]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        return str(data.get("from") or ""), str(data.get("text") or "")
    return request.POST.get("from", ""), request.POST.get("text", "")


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """The SMS gateway forwards a citizen's message: fields `from` (phone) and `text`."""
    if not _secret_ok(request):
        return JsonResponse({"error": "forbidden"}, status=403)
    raw_from, text = _inbound_fields(request)
    sender = sender_phone(raw_from)
    if sender is None:
        return JsonResponse({"error": "invalid_from", "detail": "`from` must be a phone number"}, status=400)
    result = inbound_sms_handle(sender=sender, text=text)
    return JsonResponse(
        {"outcome": result.outcome.value, "reply": result.reply, "reply_sent": result.reply_sent}
    )


def signed_webhook_ok(request: HttpRequest, secret: str, *, now: float | None = None) -> bool:
    """`X-Ileti-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` with `X-Ileti-Timestamp`
    (Unix seconds) no further than CALL_SIGNATURE_TOLERANCE_S from now: a captured request cannot be replayed
    later, nor its body changed. An unset secret disables the endpoint."""
    timestamp = request.headers.get("X-Ileti-Timestamp", "")
    given = request.headers.get("X-Ileti-Signature", "").removeprefix("sha256=")
    if not secret or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > settings.CALL_SIGNATURE_TOLERANCE_S:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def call_inbound(request: HttpRequest) -> HttpResponse:
    """The telephony gateway posts a finished call to the rejection line: JSON `from` (the caller's number),
    `digits` (the keys pressed: a brand code) and `callId`. The answer is what the line says, then it hangs up."""
    if not signed_webhook_ok(request, settings.CALL_INBOUND_SECRET or ""):
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return JsonResponse({"error": "invalid_json"}, status=400)
    caller = sender_phone(str(data.get("from") or ""))
    if caller is None:
        return JsonResponse({"error": "invalid_from", "detail": "`from` must be a phone number"}, status=400)
    result = inbound_call_handle(caller=caller, digits=str(data.get("digits") or ""))
    reply = CallReply(
        call_id=str(data.get("callId") or "")[:64], to=caller.value, say=result.say, outcome=result.outcome.value
    )
    return get_telephony_backend().respond(reply)
