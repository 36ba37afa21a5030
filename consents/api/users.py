"""Creating, deactivating and re-keying API users: one place for the portal, the shell and the admin."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from consents.models import ApiUser, ApiUserKind
from providers.models import Intermediary, Provider, ProviderAuditEvent, Retailer

from .auth import forget_cached_principals

USERNAME_MAX = 150
PASSWORD_MIN = 12


class ApiUserError(ValueError):
    """A refused request, with a Turkish message for the form or the command line."""


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def _check(username: str, password: str) -> str:
    username = (username or "").strip()
    if not username or len(username) > USERNAME_MAX or any(ch.isspace() for ch in username):
        raise ApiUserError("Kullanıcı adı boş olamaz, 150 karakteri ve boşluk içeremez.")
    if len(password or "") < PASSWORD_MIN:
        raise ApiUserError(f"Parola en az {PASSWORD_MIN} karakter olmalıdır.")
    if ApiUser.objects.filter(username=username).exists():
        raise ApiUserError(f"“{username}” kullanıcı adı kullanılıyor.")
    return username


@transaction.atomic
def api_user_create(
    *,
    username: str,
    password: str,
    provider: Provider | None = None,
    retailer: Retailer | None = None,
    intermediary: Intermediary | None = None,
    label: str = "",
    created_by: Any = None,
) -> ApiUser:
    """A provider's user, a dealer's (a retailer of one of the provider's brands) or an intermediary's."""
    username = _check(username, password)
    if intermediary is not None:
        kind, provider, retailer = ApiUserKind.INTERMEDIARY, None, None
    elif retailer is not None:
        if provider is not None and retailer.brand.provider_id != provider.pk:
            raise ApiUserError("Bu bayi sizin markalarınızdan birine ait değil.")
        kind, provider = ApiUserKind.RETAILER, retailer.brand.provider
    elif provider is not None:
        kind = ApiUserKind.PROVIDER
    else:
        raise ApiUserError("API kullanıcısı bir hizmet sağlayıcıya, bayiye ya da aracıya bağlı olmalıdır.")
    user = ApiUser(
        kind=kind,
        provider=provider,
        retailer=retailer,
        intermediary=intermediary,
        username=username,
        label=label[:255],
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    user.set_password(password)
    user.save()
    if provider is not None:
        ProviderAuditEvent.objects.create(
            provider=provider,
            actor=user.created_by,
            actor_label=getattr(created_by, "username", "") or "shell",
            action="api_user.create",
            target=username,
            detail={"kind": kind},
        )
    return user


@transaction.atomic
def api_user_deactivate(*, api_user: ApiUser, by: Any = None) -> bool:
    """Switch a user off; its live tokens end when this commits (any deactivation does that, see
    providers/deactivation.py). False when it was already off."""
    locked = ApiUser.objects.select_for_update().get(pk=api_user.pk)
    if not locked.is_active:
        return False
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    if locked.provider_id:
        ProviderAuditEvent.objects.create(
            provider_id=locked.provider_id,
            actor=by if getattr(by, "pk", None) else None,
            actor_label=getattr(by, "username", "") or "shell",
            action="api_user.deactivate",
            target=locked.username,
        )
    return True


MAX_NETWORKS = 50


def parse_networks(text: str) -> list[str]:
    """CIDRs (or single addresses) one per line, commas or spaces allowed; normalised ("10.0.0.0/24").

    Raises ApiUserError naming the first entry that is not an address or network."""
    networks: list[str] = []
    for entry in text.replace(",", " ").split():
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ApiUserError(
                _("“%(entry)s” bir IP adresi ya da ağı değil (örn. 203.0.113.7 ya da 203.0.113.0/24).")
                % {"entry": entry[:64]}
            ) from None
        if str(network) not in networks:
            networks.append(str(network))
    if len(networks) > MAX_NETWORKS:
        raise ApiUserError(_("En fazla %(n)s ağ girilebilir.") % {"n": MAX_NETWORKS})
    return networks


def api_user_set_networks(*, api_user: ApiUser, networks: list[str], by: Any = None) -> bool:
    """Replace the addresses a user may call from (empty: anywhere). Effective at once for new requests;
    False when nothing changed."""
    with transaction.atomic():
        locked = ApiUser.objects.select_for_update().get(pk=api_user.pk)
        if list(locked.allowed_networks or []) == networks:
            return False
        previous = list(locked.allowed_networks or [])
        locked.allowed_networks = networks
        locked.save(update_fields=["allowed_networks"])
        if locked.provider_id:
            ProviderAuditEvent.objects.create(
                provider_id=locked.provider_id,
                actor=by if getattr(by, "pk", None) else None,
                actor_label=getattr(by, "username", "") or "shell",
                action="api_user.networks",
                target=locked.username,
                detail={"from": previous, "to": networks},
            )
        transaction.on_commit(lambda: forget_cached_principals(locked))
    return True
