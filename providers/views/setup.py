"""Brands, dealers/agencies and intermediary authorisations of the acting provider.

Reads are open to every member; changes need ``can_manage_brands`` (MANAGER, OWNER). Objects are
looked up through the acting provider's own brands, so another provider's object is a 404.
"""
from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..context import brand_accesses, forbidden, get_brand_or_404, own_brands, provider_required
from ..forms import AuthorizationForm, BrandForm, RetailerForm
from ..models import IntermediaryAuthorization, Retailer
from ..selectors import dealer_invitations_for, pending_links_by_retailer
from ..tasks import mail_dealer_invitation


def _own_retailer_or_404(request: HttpRequest, code: int) -> Retailer:
    retailer = (
        Retailer.objects.filter(brand__provider=request.provider, code=code)
        .select_related("brand", "linked_provider")
        .first()
    )
    if retailer is None:
        raise Http404
    return retailer


def _link(request: HttpRequest, retailer: Retailer, form: RetailerForm) -> None:
    """Name the dealer's own account from the form; another provider's account is invited and told."""
    invitation = services.retailer_link(retailer=retailer, provider=form.linked_provider(), user=request.user)
    if invitation is not None:
        transaction.on_commit(lambda: mail_dealer_invitation.delay(invitation.pk), robust=True)
        messages.info(request, _(
            "%(provider)s hesabına bayilik daveti gönderildi. O hesabın sahibi ya da yöneticisi kabul edene kadar "
            "bu markanın izinlerini görmez."
        ) % {"provider": invitation.provider.name})


def _form_error(form: object, err: services.SetupError) -> None:
    if isinstance(err, services.RetailerInvalid):
        form.add_problems(err.problems)  # type: ignore[attr-defined]
        return
    field = err.field if err.field in form.fields else None  # type: ignore[attr-defined]
    form.add_error(field, err.message)  # type: ignore[attr-defined]


# --- Brands ----------------------------------------------------------------------------------


@provider_required()
def brand_list(request: HttpRequest) -> HttpResponse:
    brands = (
        own_brands(request.provider)
        .annotate(
            retailer_count=Count("retailers", distinct=True),
            active_authorizations=Count(
                "intermediary_authorizations",
                filter=Q(intermediary_authorizations__revoked_at__isnull=True),
                distinct=True,
            ),
        )
        .order_by("-is_master", "name")
    )
    dealer_brands = [a for a in brand_accesses(request) if a.as_dealer]
    return render(
        request,
        "portal/brands.html",
        {"brands": brands, "dealer_brands": dealer_brands, "form": BrandForm()},
    )


@provider_required("can_manage_brands")
def brand_create(request: HttpRequest) -> HttpResponse:
    form = BrandForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            brand = services.brand_create(provider=request.provider, name=form.cleaned_data["name"], user=request.user)
        except services.SetupError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("%(brand)s markası eklendi.") % {"brand": brand})
            return redirect("portal:brands")
    return render(request, "portal/brand_form.html", {"form": form, "brand": None})


@provider_required("can_manage_brands")
def brand_edit(request: HttpRequest, brand_code: int) -> HttpResponse:
    brand = get_brand_or_404(request, brand_code)
    form = BrandForm(request.POST or None, initial={"name": brand.name})
    if request.method == "POST" and form.is_valid():
        try:
            brand = services.brand_rename(brand=brand, name=form.cleaned_data["name"], user=request.user)
        except services.SetupError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Marka adı kaydedildi."))
            return redirect("portal:brands")
    return render(request, "portal/brand_form.html", {"form": form, "brand": brand})


# --- Dealers / agencies ----------------------------------------------------------------------


@provider_required()
def retailer_list(request: HttpRequest) -> HttpResponse:
    brands = list(own_brands(request.provider).order_by("-is_master", "name"))
    retailers = (
        Retailer.objects.filter(brand__provider=request.provider)
        .select_related("brand", "linked_provider")
        .order_by("brand__name", "name")
    )
    selected = request.GET.get("brand", "")
    if selected:
        retailers = retailers.filter(brand=get_brand_or_404(request, selected))
    retailers = list(retailers)
    pending = pending_links_by_retailer(retailer_ids=[r.pk for r in retailers])
    rows = [(r, pending.get(r.pk)) for r in retailers]
    return render(
        request,
        "portal/retailers.html",
        {"rows": rows, "brands": brands, "selected_brand": selected},
    )


@provider_required("can_manage_brands")
def retailer_create(request: HttpRequest) -> HttpResponse:
    brands = list(own_brands(request.provider).order_by("-is_master", "name"))
    form = RetailerForm(request.POST or None, brands=brands, initial={"brand": request.GET.get("brand", "")})
    if request.method == "POST" and form.is_valid():
        brand = get_brand_or_404(request, form.cleaned_data["brand"])
        try:
            retailer = services.retailer_create(brand=brand, data=form.retailer_data(), user=request.user)
        except services.SetupError as err:
            _form_error(form, err)
        else:
            _link(request, retailer, form)
            messages.success(
                request, _("%(name)s eklendi; bayi numarası %(code)s.") % {"name": retailer.name, "code": retailer.code}
            )
            return redirect("portal:retailers")
    return render(request, "portal/retailer_form.html", {"form": form, "retailer": None})


@provider_required("can_manage_brands")
def retailer_edit(request: HttpRequest, code: int) -> HttpResponse:
    retailer = _own_retailer_or_404(request, code)
    pending = pending_links_by_retailer(retailer_ids=[retailer.pk]).get(retailer.pk)
    # The account the manager named: the one invited while the invitation waits, else the linked one.
    named = pending.provider if pending else retailer.linked_provider
    initial = {
        "name": retailer.name, "kind": retailer.kind, "alias": retailer.alias, "tax_number": retailer.tax_number,
        "contact_name": retailer.contact_name, "tckn": retailer.tckn, "city": retailer.city_code,
        "town": retailer.town_code, "mobile": retailer.mobile,
        "linked_provider_code": named.iys_code if named else None,
    }
    form = RetailerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.retailer_update(retailer=retailer, data=form.retailer_data(), user=request.user)
        except services.SetupError as err:
            _form_error(form, err)
        else:
            _link(request, retailer, form)
            messages.success(request, _("Bayi bilgileri kaydedildi."))
            return redirect("portal:retailers")
    return render(
        request, "portal/retailer_form.html", {"form": form, "retailer": retailer, "pending_link": pending}
    )


@provider_required("can_manage_brands")
def retailer_delete(request: HttpRequest, code: int) -> HttpResponse:
    retailer = _own_retailer_or_404(request, code)
    if request.method == "POST":
        try:
            services.retailer_delete(retailer=retailer, user=request.user)
        except services.SetupError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("%(name)s silindi.") % {"name": retailer.name})
        return redirect("portal:retailers")
    return render(request, "portal/retailer_delete.html", {"retailer": retailer})


# --- Invitations to act as another provider's dealer -------------------------------------------


@provider_required()
def dealer_invitations(request: HttpRequest) -> HttpResponse:
    """What other providers asked of this account; owners and managers answer, everyone may look."""
    invitations = dealer_invitations_for(request.provider)[:100]
    return render(request, "portal/dealer_invitations.html", {"invitations": invitations})


def _answer(request: HttpRequest, pk: int, *, accept: bool) -> HttpResponse:
    decide = services.dealer_invitation_accept if accept else services.dealer_invitation_decline
    try:
        invitation = decide(invitation_id=pk, provider=request.provider, user=request.user)
    except services.SetupError as err:
        messages.error(request, err.message)
    else:
        params = {"brand": invitation.retailer.brand.name, "provider": invitation.retailer.brand.provider.name}
        if accept:
            messages.success(request, _(
                "Artık %(provider)s firmasının %(brand)s markasının bayisisiniz: izinlerini İzinler sayfasında "
                "görebilirsiniz."
            ) % params)
        else:
            messages.success(request, _("%(brand)s markasının bayilik daveti reddedildi.") % params)
    return redirect("portal:dealer_invitations")


@require_POST
@provider_required("can_manage_brands")
def dealer_invitation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, accept=True)


@require_POST
@provider_required("can_manage_brands")
def dealer_invitation_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, accept=False)


# --- Intermediary authorisations -------------------------------------------------------------


@provider_required()
def intermediary_list(request: HttpRequest) -> HttpResponse:
    brands = list(own_brands(request.provider).order_by("-is_master", "name"))
    form = AuthorizationForm(request.POST or None, brands=brands)
    if request.method == "POST":
        if not request.membership.can_manage_brands:
            return forbidden(request, "can_manage_brands")
        if form.is_valid():
            brand = get_brand_or_404(request, form.cleaned_data["brand"])
            try:
                grant = services.intermediary_authorize(
                    brand=brand, intermediary=form.cleaned_data["intermediary"],
                    channel=form.cleaned_data["channel"], user=request.user,
                )
            except services.SetupError as err:
                _form_error(form, err)
            else:
                messages.success(request, _("Yetki verildi: %(grant)s") % {"grant": grant})
                return redirect("portal:intermediaries")
    grants = (
        IntermediaryAuthorization.objects.filter(brand__provider=request.provider)
        .select_related("brand", "intermediary", "granted_by", "revoked_by")
        .order_by("revoked_at", "brand__name", "intermediary__name", "channel", "-granted_at")
    )
    return render(request, "portal/intermediaries.html", {"grants": grants, "form": form})


@require_POST
@provider_required("can_manage_brands")
def authorization_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = IntermediaryAuthorization.objects.filter(pk=pk, brand__provider=request.provider).first()
    if grant is None:
        raise Http404
    if services.intermediary_revoke(authorization=grant, user=request.user):
        messages.success(request, _("Yetki kaldırıldı."))
    else:
        messages.info(request, _("Bu yetki zaten kaldırılmıştı."))
    return redirect("portal:intermediaries")
