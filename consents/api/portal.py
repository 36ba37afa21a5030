"""Business portal: the provider's API users (create, switch off) and their recent API activity."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.hygiene import TextSafeForm
from consents.models import ApiUser
from providers.context import own_brands, provider_required
from providers.models import Retailer

from .health import integrator_health
from .ratelimit import recent_activity
from .users import (
    ApiUserError,
    api_user_create,
    api_user_deactivate,
    api_user_set_networks,
    generate_password,
    parse_networks,
)


class ApiUserForm(TextSafeForm):
    username = forms.CharField(label=gettext_lazy("Kullanıcı adı"), max_length=150)
    label = forms.CharField(
        label=gettext_lazy("Açıklama"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Örn. hangi sistemin kullandığı."),
    )
    retailer = forms.TypedChoiceField(
        label=gettext_lazy("Kimin adına"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy(
            "Bir bayi seçerseniz kullanıcı yalnızca o bayinin markasında, bayi olarak işlem yapar."
        ),
    )

    def __init__(self, *args: object, retailers: list[Retailer], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["retailer"].choices = [("", _("Hizmet sağlayıcının kendisi (tüm markalar)"))] + [
            (r.pk, f"{r.name} ({r.code}) — {r.brand.name}") for r in retailers
        ]


def _own_retailers(request: HttpRequest) -> list[Retailer]:
    return list(
        Retailer.objects.filter(brand__in=own_brands(request.provider))
        .select_related("brand")
        .order_by("name")
    )


@provider_required("can_manage_api_keys")
def api_users(request: HttpRequest) -> HttpResponse:
    retailers = _own_retailers(request)
    form = ApiUserForm(request.POST or None, retailers=retailers)
    created_password = None
    if request.method == "POST" and form.is_valid():
        retailer = next((r for r in retailers if r.pk == form.cleaned_data["retailer"]), None)
        password = generate_password()
        try:
            user = api_user_create(
                username=form.cleaned_data["username"],
                password=password,
                provider=request.provider,
                retailer=retailer,
                label=form.cleaned_data["label"],
                created_by=request.user,
            )
        except ApiUserError as err:
            form.add_error("username", str(err))
        else:
            # Shown once: only its hash is stored.
            created_password = (user.username, password)
            form = ApiUserForm(retailers=retailers)
    users = list(
        ApiUser.objects.filter(provider=request.provider).select_related("retailer").order_by("username")
    )
    health = integrator_health([u.pk for u in users])
    for u in users:
        u.health = health[u.pk]
        u.networks_text = "\n".join(u.allowed_networks or [])
    activity = recent_activity([u.pk for u in users], limit=50)
    names = {u.pk: u.username for u in users}
    for entry in activity:
        entry["username"] = names.get(entry["api_user_id"], "?")
        entry["when"] = dt.datetime.fromtimestamp(entry.get("at", 0), tz=dt.timezone.utc)
    return render(
        request,
        "portal/api/users.html",
        {
            "form": form,
            "users": users,
            "activity": activity,
            "created_password": created_password,
            "brands": own_brands(request.provider).order_by("-is_master", "name"),
            "api_base": request.build_absolute_uri("/api"),
            "now": timezone.now(),
        },
    )


@require_POST
@provider_required("can_manage_api_keys")
def api_user_switch_off(request: HttpRequest, pk: int) -> HttpResponse:
    user = ApiUser.objects.filter(pk=pk, provider=request.provider).first()
    if user is None:
        raise Http404
    if api_user_deactivate(api_user=user, by=request.user):
        messages.success(request, _("%(name)s kapatıldı; jetonları iptal edildi.") % {"name": user.username})
    return redirect("portal:api_users")


@require_POST
@provider_required("can_manage_api_keys")
def api_user_networks(request: HttpRequest, pk: int) -> HttpResponse:
    user = ApiUser.objects.filter(pk=pk, provider=request.provider, is_active=True).first()
    if user is None:
        raise Http404
    try:
        networks = parse_networks(request.POST.get("networks", ""))
    except ApiUserError as err:
        messages.error(request, _("%(name)s: %(error)s") % {"name": user.username, "error": err})
        return redirect("portal:api_users")
    if api_user_set_networks(api_user=user, networks=networks, by=request.user):
        if networks:
            messages.success(
                request,
                _("%(name)s artık yalnızca şu adreslerden istek yapabilir: %(networks)s")
                % {"name": user.username, "networks": ", ".join(networks)},
            )
        else:
            messages.success(request, _("%(name)s her adresten istek yapabilir.") % {"name": user.username})
    return redirect("portal:api_users")


urlpatterns = [
    path("", api_users, name="api_users"),
    path("<int:pk>/ag/", api_user_networks, name="api_user_networks"),
    path("<int:pk>/kapat/", api_user_switch_off, name="api_user_switch_off"),
]
