"""Citizen portal pages. Thin: forms in, one service call, a message, a redirect."""
from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.client_ip import client_ip
from config.db_router import replica_reads
from consents.errors import ConsentRuleError
from providers.models import Brand, Channel

from .auth import citizen_login, citizen_logout, citizen_required, current_citizen
from .display import display_address
from .exports import my_data, my_data_csv_rows
from .faq import faq_sections
from .forms import AddressForm, BrandSearchForm, CodeForm
from .models import AddressClaimEvent, DevMessage, OtpPurpose
from .otp import OtpCheck, OtpError, check_message, otp_send, otp_tries_left
from .selectors import (
    active_addresses,
    attach_history_and_labels,
    consents_of_citizen,
    group_by_brand,
    hidden_declarations,
    search_brands,
    upcoming_visibility_dates,
)
from .services import (
    CitizenNotFound,
    channels_for_kind,
    citizen_add_brand,
    citizen_address_claim,
    citizen_address_release,
    citizen_approve,
    citizen_consents_in_scope,
    citizen_reject,
    citizen_sign_in,
)
from .sms import SmsSendError

logger = logging.getLogger(__name__)

PENDING_SIGN_IN = "citizen_pending_sign_in"
PENDING_ADDRESS = "citizen_pending_address"


def _send_code(request: HttpRequest, *, address: str, purpose: str) -> bool:
    try:
        otp_send(address=address, purpose=purpose, client_ip=client_ip(request))
    except OtpError as exc:
        messages.error(request, exc.message)
        return False
    except ConsentRuleError as exc:
        messages.error(request, exc.message)
        return False
    except (SmsSendError, OSError):
        # The gateway or mail server is down: say so instead of failing the page; the code was not delivered.
        logger.exception("one-time code could not be sent")
        messages.error(request, _("Kod şu anda gönderilemedi. Lütfen birkaç dakika sonra yeniden deneyin."))
        return False
    return True


def _code_error(check: OtpCheck, *, address: str, purpose: str) -> str:
    tries_left = otp_tries_left(address=address, purpose=purpose) if check is OtpCheck.WRONG else None
    return check_message(check, tries_left=tries_left)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# --- sign-in -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if current_citizen(request) is not None:
        return redirect("citizens:consents")
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"]
        if _send_code(request, address=address, purpose=OtpPurpose.SIGN_IN):
            request.session[PENDING_SIGN_IN] = {"address": address, "next": _safe_next(request, "")}
            return redirect("citizens:sign_in_code")
    return render(request, "citizens/sign_in.html", {"form": form, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_SIGN_IN)
    if not pending:
        return redirect("citizens:sign_in")
    address = pending["address"]
    if request.method == "POST" and "resend" in request.POST:
        if _send_code(request, address=address, purpose=OtpPurpose.SIGN_IN):
            messages.success(request, _("Yeni kod gönderildi."))
        return redirect("citizens:sign_in_code")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = citizen_sign_in(address=address, code=form.cleaned_data["code"], client_ip=client_ip(request))
        if result.citizen is not None:
            next_url = pending.get("next") or reverse("citizens:consents")
            citizen_login(request, result.citizen)
            request.session.pop(PENDING_SIGN_IN, None)
            messages.success(request, _("Giriş yaptınız."))
            return redirect(next_url)
        if result.deactivated:
            form.add_error("code", _("Bu adresin bağlı olduğu hesap devre dışı bırakılmış. Lütfen destek ile iletişime geçin."))
        else:
            form.add_error("code", _code_error(result.check, address=address, purpose=OtpPurpose.SIGN_IN))
    return render(request, "citizens/sign_in_code.html", {"form": form, "address": address})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    citizen_logout(request)
    messages.success(request, _("Çıkış yaptınız."))
    return redirect("citizens:sign_in")


# --- addresses ---------------------------------------------------------------------------------


@citizen_required
@require_http_methods(["GET", "POST"])
def addresses(request: HttpRequest) -> HttpResponse:
    citizen = request.citizen  # type: ignore[attr-defined]
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"]
        if active_addresses(citizen).filter(value=address).exists():
            messages.info(request, _("Bu adres zaten hesabınızda."))
            return redirect("citizens:addresses")
        if _send_code(request, address=address, purpose=OtpPurpose.ADD_ADDRESS):
            request.session[PENDING_ADDRESS] = address
            return redirect("citizens:address_verify")
    context = {
        "form": form,
        "addresses": active_addresses(citizen).order_by("kind", "value"),
        "claim_events": AddressClaimEvent.objects.filter(citizen=citizen).order_by("-id")[:20],
    }
    return render(request, "citizens/addresses.html", context)


@citizen_required
@require_http_methods(["GET", "POST"])
def address_verify(request: HttpRequest) -> HttpResponse:
    citizen = request.citizen  # type: ignore[attr-defined]
    address = request.session.get(PENDING_ADDRESS)
    if not address:
        return redirect("citizens:addresses")
    if request.method == "POST" and "resend" in request.POST:
        if _send_code(request, address=address, purpose=OtpPurpose.ADD_ADDRESS):
            messages.success(request, _("Yeni kod gönderildi."))
        return redirect("citizens:address_verify")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = citizen_address_claim(
            citizen=citizen, address=address, code=form.cleaned_data["code"], client_ip=client_ip(request)
        )
        if result.ok:
            request.session.pop(PENDING_ADDRESS, None)
            if result.released_from is not None:
                messages.success(
                    request,
                    _("%(address)s doğrulandı. Bu adres daha önce başka bir hesaba bağlıydı; artık yalnızca sizin "
                      "hesabınızda.") % {"address": display_address(address)},
                )
            else:
                messages.success(request, _("%(address)s doğrulandı ve hesabınıza eklendi.") % {"address": display_address(address)})
            return redirect("citizens:addresses")
        form.add_error("code", _code_error(result.check, address=address, purpose=OtpPurpose.ADD_ADDRESS))
    return render(request, "citizens/address_verify.html", {"form": form, "address": address})


@citizen_required
@require_POST
def address_release(request: HttpRequest, address_id: int) -> HttpResponse:
    citizen = request.citizen  # type: ignore[attr-defined]
    try:
        released = citizen_address_release(citizen=citizen, address_id=address_id, client_ip=client_ip(request))
    except CitizenNotFound:
        raise Http404 from None
    except ValueError:
        messages.error(request, _("Son adresinizi kaldıramazsınız; önce başka bir adres ekleyin."))
        return redirect("citizens:addresses")
    messages.success(request, _("%(address)s hesabınızdan kaldırıldı.") % {"address": display_address(released.value)})
    return redirect("citizens:addresses")


# --- my consents -------------------------------------------------------------------------------


@replica_reads
@citizen_required
def consents(request: HttpRequest) -> HttpResponse:
    citizen = request.citizen  # type: ignore[attr-defined]
    address_list = list(active_addresses(citizen).order_by("kind", "value"))
    values = [a.value for a in address_list]
    rows = list(consents_of_citizen(citizen, values=values, with_history=False))
    attach_history_and_labels(rows)
    hidden = hidden_declarations(values)
    context = {
        "addresses": address_list,
        "groups": group_by_brand(rows),
        "consent_count": len(rows),
        "onay_count": sum(1 for c in rows if c.status == "ONAY"),
        "hidden": hidden,
        "upcoming": upcoming_visibility_dates() if not hidden else [],
        "now": timezone.now(),
        # The brand card a reject/approve just changed takes focus (keyboard and screen reader users land
        # where the change is, not at the top of the page); once, like the message that goes with it.
        "focus_brand": request.session.pop(FOCUS_SESSION_KEY, None),
    }
    return render(request, "citizens/consents.html", context)


FOCUS_SESSION_KEY = "citizens:focus_brand"


def _back_to_the_card(request: HttpRequest, affected: list) -> HttpResponse:
    """Back to the consents page at the card of the one brand `affected` belongs to (focus and scroll)."""
    brands = {c.brand_id for c in affected}
    if len(brands) != 1:
        return redirect("citizens:consents")
    (brand_id,) = brands
    request.session[FOCUS_SESSION_KEY] = brand_id
    return redirect(reverse("citizens:consents") + f"#marka-{brand_id}")


def _ids(request: HttpRequest) -> list[int] | None:
    raw = request.POST.getlist("consent")
    if not raw:
        return None
    try:
        return [int(v) for v in raw]
    except ValueError:
        raise Http404 from None


def _brand_id(request: HttpRequest) -> int | None:
    raw = request.POST.get("brand")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


@citizen_required
@require_POST
def reject(request: HttpRequest) -> HttpResponse:
    """First POST shows what will be rejected; the second (confirm=1) rejects it."""
    citizen = request.citizen  # type: ignore[attr-defined]
    scope = request.POST.get("scope", "")
    consent_ids = _ids(request) if scope == "consent" else None
    brand_id = _brand_id(request) if scope == "brand" else None
    if (scope == "consent" and not consent_ids) or (scope == "brand" and brand_id is None) or scope not in (
        "consent", "brand", "all"
    ):
        raise Http404
    try:
        affected = citizen_consents_in_scope(
            citizen=citizen, consent_ids=consent_ids, brand_id=brand_id, status="ONAY"
        )
        if request.POST.get("confirm") == "1":
            changed = citizen_reject(citizen=citizen, consent_ids=consent_ids, brand_id=brand_id)
        else:
            return render(
                request, "citizens/confirm_reject.html",
                {"scope": scope, "affected": affected, "consent_ids": consent_ids or [], "brand_id": brand_id},
            )
    except CitizenNotFound:
        raise Http404 from None
    except ConsentRuleError as exc:
        messages.error(request, exc.message)
        return redirect("citizens:consents")
    if changed:
        messages.success(request, _("%(n)d izin reddedildi. Ret hemen geçerlidir.") % {"n": changed})
    else:
        messages.info(request, _("Reddedilecek onay bulunamadı; değişiklik yapılmadı."))
    return _back_to_the_card(request, affected)


@citizen_required
@require_POST
def approve(request: HttpRequest) -> HttpResponse:
    """First POST shows what will be allowed again and to whom; the second (confirm=1) approves it."""
    citizen = request.citizen  # type: ignore[attr-defined]
    consent_ids = _ids(request)
    brand_id = _brand_id(request)
    if consent_ids is None and brand_id is None:
        raise Http404
    try:
        affected = citizen_consents_in_scope(
            citizen=citizen, consent_ids=consent_ids, brand_id=brand_id, status="RET"
        )
        if request.POST.get("confirm") != "1":
            return render(
                request, "citizens/confirm_approve.html",
                {"affected": affected, "consent_ids": consent_ids or [], "brand_id": brand_id},
            )
        changed = citizen_approve(citizen=citizen, consent_ids=consent_ids, brand_id=brand_id)
    except CitizenNotFound:
        raise Http404 from None
    except ConsentRuleError as exc:
        messages.error(request, exc.message)
        return redirect("citizens:consents")
    if changed:
        messages.success(request, _("%(n)d izin için yeniden onay verdiniz.") % {"n": changed})
    else:
        messages.info(request, _("Onay verilecek ret kaydı bulunamadı; değişiklik yapılmadı."))
    return _back_to_the_card(request, affected)


@citizen_required
@require_http_methods(["GET", "POST"])
def add_brand(request: HttpRequest) -> HttpResponse:
    citizen = request.citizen  # type: ignore[attr-defined]
    address_list = list(active_addresses(citizen).order_by("kind", "value"))
    if request.method == "POST":
        brand = Brand.objects.filter(pk=_brand_id(request) or 0, is_active=True).first()
        try:
            address_id = int(request.POST.get("address", ""))
        except ValueError:
            address_id = 0
        if brand is None:
            raise Http404
        try:
            changed = citizen_add_brand(
                citizen=citizen, brand=brand, address_id=address_id, channels=request.POST.getlist("channel")
            )
        except CitizenNotFound:
            raise Http404 from None
        except ConsentRuleError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("citizens:add_brand") + f"?q={brand.brand_code}")
        if changed:
            messages.success(request, _("%(brand)s için %(n)d kanalda onay verdiniz.") % {"brand": brand.name, "n": changed})
        else:
            messages.info(request, _("Bu marka için seçtiğiniz kanallarda zaten kayıt var; izinlerim sayfasından değiştirebilirsiniz."))
        return redirect("citizens:consents")
    search = BrandSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    results = list(search_brands(query)) if query else []
    choices = [
        {"address": a, "channels": [(c, Channel(c).label) for c in channels_for_kind(a.kind)]} for a in address_list
    ]
    context = {"query": query, "results": results, "choices": choices, "search_errors": search.errors.get("q")}
    return render(request, "citizens/add_brand.html", context)


# --- my data -----------------------------------------------------------------------------------


@citizen_required
def data_page(request: HttpRequest) -> HttpResponse:
    return render(request, "citizens/my_data.html", {})


@citizen_required
def data_json(request: HttpRequest) -> HttpResponse:
    payload = json.dumps(my_data(request.citizen), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)  # type: ignore[attr-defined]
    response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ileti-verilerim.json"'
    return response


@citizen_required
def data_csv(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(my_data_csv_rows(request.citizen), content_type="text/csv; charset=utf-8")  # type: ignore[attr-defined]
    response["Content-Disposition"] = 'attachment; filename="ileti-verilerim.csv"'
    return response


# --- help and development ----------------------------------------------------------------------


def help_page(request: HttpRequest) -> HttpResponse:
    current_citizen(request)
    return render(request, "citizens/help.html", {"sections": faq_sections(ret_number=settings.SMS_RET_NUMBER, call_number=settings.CALL_RET_NUMBER)})


def dev_outbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    return render(request, "citizens/dev_outbox.html", {"items": DevMessage.objects.order_by("-id")[:50]})
