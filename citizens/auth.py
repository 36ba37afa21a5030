"""The citizen session: separate from Django's auth (staff/provider users), keyed by CITIZEN_SESSION_KEY."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .models import Citizen

CITIZEN_SESSION_KEY = "citizen_id"


def citizen_login(request: HttpRequest, citizen: Citizen) -> None:
    # A new session key on sign-in defeats session fixation.
    request.session.cycle_key()
    request.session[CITIZEN_SESSION_KEY] = citizen.pk
    Citizen.objects.filter(pk=citizen.pk).update(last_login_at=timezone.now())
    request.citizen = citizen  # type: ignore[attr-defined]


def citizen_logout(request: HttpRequest) -> None:
    request.session.pop(CITIZEN_SESSION_KEY, None)
    request.session.cycle_key()
    request.citizen = None  # type: ignore[attr-defined]


def current_citizen(request: HttpRequest) -> Citizen | None:
    if hasattr(request, "citizen"):
        return request.citizen  # type: ignore[no-any-return]
    citizen_id = request.session.get(CITIZEN_SESSION_KEY)
    citizen = None
    if citizen_id is not None:
        citizen = Citizen.objects.filter(pk=citizen_id, is_active=True).first()
    request.citizen = citizen  # type: ignore[attr-defined]
    return citizen


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if current_citizen(request) is None:
            return redirect(f"{reverse('citizens:sign_in')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper
