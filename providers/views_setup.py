"""Brands, dealers/agencies and intermediary authorisations of the acting provider."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .context import provider_required


def _todo(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard.html", {})


brand_list = provider_required()(_todo)
brand_create = provider_required("can_manage_brands")(lambda request: _todo(request))
brand_edit = provider_required("can_manage_brands")(lambda request, brand_code: _todo(request))
retailer_list = provider_required()(_todo)
retailer_create = provider_required("can_manage_brands")(lambda request: _todo(request))
retailer_edit = provider_required("can_manage_brands")(lambda request, code: _todo(request))
retailer_delete = provider_required("can_manage_brands")(lambda request, code: _todo(request))
intermediary_list = provider_required()(_todo)
authorization_revoke = provider_required("can_manage_brands")(lambda request, pk: _todo(request))
