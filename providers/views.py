"""Portal entry points: provider switcher and dashboard."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .context import provider_required, select_provider


@require_POST
@login_required
def switch_provider(request: HttpRequest) -> HttpResponse:
    membership = select_provider(request, request.POST.get("provider_id"))
    if membership is None:
        messages.error(request, _("Bu hizmet sağlayıcıya üye değilsiniz."))
    else:
        messages.success(request, _("Artık %(name)s adına çalışıyorsunuz.") % {"name": membership.provider.name})
    # Object URLs of the previous provider would be 404s now; the dashboard always exists.
    return redirect("portal:dashboard")


@provider_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard.html", {})
