"""Consent pages of the business portal: search, detail, single-consent form, export, change feed."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from providers.context import provider_required


def _todo(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard.html", {})


consent_list = provider_required()(_todo)
consent_create = provider_required("can_write_consents")(_todo)
consent_export = provider_required()(_todo)
consent_detail = provider_required()(lambda request, pk: _todo(request))
change_feed = provider_required()(_todo)
