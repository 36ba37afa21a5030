"""State changes of a provider's setup: brands, dealers/agencies, intermediary authorisations.

Every function is keyword-only, runs in one transaction, returns early when nothing changes and
writes a ProviderAuditEvent naming the user who did it. Refusals raise ``SetupError`` with a
plain message (and the form field it is about) that the portal shows as is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from consents.models import ApiUser, Consent, ConsentEvent, RetailerAccess

from . import geo, identity
from .models import (
    Brand,
    Channel,
    Intermediary,
    IntermediaryAuthorization,
    LinkState,
    Provider,
    ProviderAuditEvent,
    Retailer,
    RetailerKind,
    RetailerLinkInvitation,
)

FIRST_BRAND_CODE = 700_000
FIRST_RETAILER_CODE = 10_000_000
MAX_RETAILER_CODE = 99_999_999


class SetupError(Exception):
    """A refused change of a provider's setup, with a message fit for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def provider_audit(
    *,
    provider: Provider | int,
    user: Any,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> None:
    """One audit row of a provider's setup. `actor_label` names actors without a user (an API user)."""
    ProviderAuditEvent.objects.create(
        provider_id=provider if isinstance(provider, int) else provider.pk,
        actor=user,
        actor_label=actor_label if actor_label is not None else (user.get_username() if user is not None else ""),
        action=action,
        target=target[:255],
        detail=detail or {},
    )


def _next_code(model: type, field: str, first: int) -> int:
    current = model.objects.aggregate(m=Max(field))["m"]
    return max(first, (current or 0) + 1)


# --- Brands ----------------------------------------------------------------------------------


def brand_create(*, provider: Provider, name: str, user: Any) -> Brand:
    """Register a new brand; the registry assigns its code (as İYS does)."""
    name = name.strip()
    if not name:
        raise SetupError(_("Marka adı boş olamaz."), field="name")
    for attempt in range(3):
        try:
            with transaction.atomic():
                if Brand.objects.filter(provider=provider, name__iexact=name).exists():
                    raise SetupError(_("Bu adla bir markanız zaten var."), field="name")
                brand = Brand.objects.create(
                    provider=provider,
                    name=name,
                    brand_code=_next_code(Brand, "brand_code", FIRST_BRAND_CODE),
                    is_master=not Brand.objects.filter(provider=provider, is_master=True).exists(),
                )
                provider_audit(provider=provider, user=user, action="brand.create", target=str(brand),
                       detail={"brand_code": brand.brand_code, "name": name})
                return brand
        except IntegrityError:
            # Two brands took the same next code at once; take the following one.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def brand_rename(*, brand: Brand, name: str, user: Any) -> Brand:
    name = name.strip()
    if not name:
        raise SetupError(_("Marka adı boş olamaz."), field="name")
    with transaction.atomic():
        locked = Brand.objects.select_for_update().get(pk=brand.pk)
        if locked.name == name:
            return locked
        if Brand.objects.filter(provider_id=locked.provider_id, name__iexact=name).exclude(pk=locked.pk).exists():
            raise SetupError(_("Bu adla bir markanız zaten var."), field="name")
        previous = locked.name
        locked.name = name
        locked.save(update_fields=["name"])
        provider_audit(provider=locked.provider, user=user, action="brand.rename", target=str(locked),
               detail={"brand_code": locked.brand_code, "from": previous, "to": name})
        return locked


# --- Dealers, agencies, exclusive partners ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetailerData:
    """A dealer as İYS describes it: title, official (name, TCKN), tax number, province and district.

    `city_code`/`town_code` are İYS's codes (providers.geo); `city`/`town` names are filled from them."""

    name: str
    kind: str = RetailerKind.BAYI
    tax_number: str = ""
    contact_name: str = ""
    tckn: str = ""
    city_code: int | None = None
    town_code: int | None = None
    mobile: str = ""
    alias: str = ""

    def as_fields(self) -> dict[str, Any]:
        city = geo.city(self.city_code)
        town = geo.town(self.town_code)
        return {
            "name": self.name.strip(),
            "kind": self.kind,
            "alias": self.alias.strip(),
            "tax_number": self.tax_number.strip(),
            "contact_name": self.contact_name.strip(),
            "tckn": self.tckn.strip(),
            "city_code": city.code if city else None,
            "city": city.name if city else "",
            "town_code": town.code if town else None,
            "town": town.name if town else "",
            "mobile": self.mobile.strip(),
        }


@dataclass(frozen=True, slots=True)
class RetailerProblem:
    """One reason İYS would refuse the dealer: its İYS code, the field, and a message for people."""

    code: str
    field: str
    value: Any
    message: str


class RetailerInvalid(SetupError):
    """Every problem of a dealer's data at once (İYS lists them all; the form marks each field)."""

    def __init__(self, problems: list[RetailerProblem]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems


def retailer_problems(data: RetailerData) -> list[RetailerProblem]:
    """What İYS's createRetailer requires: title, name, tckn, city, town and tin, each valid (H016 family)."""
    problems: list[RetailerProblem] = []

    def refuse(code: str, field: str, value: Any, message: str) -> None:
        problems.append(RetailerProblem(code, field, value, message))

    if not data.name.strip():
        refuse("H214", "title", data.name, _("Bayinin ticaret unvanı boş bırakılamaz."))
    if data.kind not in RetailerKind.values:
        refuse("H016", "kind", data.kind, _("Tür bayi, acente ya da özel yetkili işletme olmalıdır."))
    if not data.contact_name.strip():
        refuse("H215", "name", data.contact_name, _("Bayi yetkilisinin adı soyadı boş bırakılamaz."))
    tckn = data.tckn.strip()
    if not tckn:
        refuse("H216", "tckn", tckn, _("Bayi yetkilisinin TC kimlik numarası boş bırakılamaz."))
    elif len(tckn) != 11 or not (tckn.isascii() and tckn.isdigit()):
        refuse("H226", "tckn", tckn, _("TC kimlik numarası 11 rakamdan oluşur."))
    elif not identity.valid_tckn(tckn):
        refuse("H225", "tckn", tckn, _("TC kimlik numarası geçerli değil (kontrol haneleri tutmuyor)."))
    tin = data.tax_number.strip()
    if not tin:
        refuse("H288", "tin", tin, _("Vergi kimlik numarası boş bırakılamaz."))
    elif len(tin) not in (10, 11) or not (tin.isascii() and tin.isdigit()):
        refuse("H244", "tin", tin, _("Vergi numarası 10, TC kimlik numarası 11 rakamdan oluşur."))
    elif not identity.valid_tin(tin):
        refuse("H243", "tin", tin, _("Vergi kimlik numarası geçerli değil (kontrol hanesi tutmuyor)."))
    city = geo.city(data.city_code)
    if data.city_code is None:
        refuse("H217", "city", None, _("Bayinin ili seçilmelidir."))
    elif city is None:
        refuse("H016", "city", data.city_code, _("Seçilen il bulunamadı."))
    town = geo.town(data.town_code)
    if data.town_code is None:
        refuse("H220", "town", None, _("Bayinin ilçesi seçilmelidir."))
    elif town is None or (city is not None and town.city_code != city.code):
        refuse("H016", "town", data.town_code, _("Seçilen ilçe, seçilen ilin ilçelerinden biri değil."))
    return problems


def _check_retailer_data(data: RetailerData, *, brand_id: int, exclude_pk: int | None = None) -> None:
    problems = retailer_problems(data)
    tckn = data.tckn.strip()
    if tckn and not any(p.field == "tckn" for p in problems):
        same = Retailer.objects.filter(brand_id=brand_id, tckn=tckn).exclude(pk=exclude_pk)
        if same.exists():
            problems.append(RetailerProblem(
                "H231", "tckn", tckn, _("Bu markada bu TC kimlik numarasıyla kayıtlı bir bayi zaten var.")
            ))
    if problems:
        raise RetailerInvalid(problems)


def retailer_create(
    *, brand: Brand, data: RetailerData, user: Any, actor_label: str | None = None, action: str = "retailer.create"
) -> Retailer:
    """Add a dealer/agency/exclusive partner to a brand; the registry assigns its 8-digit code.

    The portal and the API share this; the API passes its user's label and its own audit action name.
    The dealer's own account is named separately, through ``retailer_link``."""
    _check_retailer_data(data, brand_id=brand.pk)
    for attempt in range(3):
        try:
            with transaction.atomic():
                code = _next_code(Retailer, "code", FIRST_RETAILER_CODE)
                if code > MAX_RETAILER_CODE:
                    raise SetupError(_("Bayi numaraları tükendi; sistem yöneticisine başvurun."))
                retailer = Retailer.objects.create(brand=brand, code=code, **data.as_fields())
                provider_audit(provider=brand.provider_id, user=user, action=action, target=str(retailer),
                       detail={"brand_code": brand.brand_code, "code": code, "kind": data.kind},
                       actor_label=actor_label)
                return retailer
        except IntegrityError:
            # A concurrent request took the code (retry) or registered the same official (H231 now).
            _check_retailer_data(data, brand_id=brand.pk)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def retailer_update(*, retailer: Retailer, data: RetailerData, user: Any) -> Retailer:
    _check_retailer_data(data, brand_id=retailer.brand_id, exclude_pk=retailer.pk)
    fields = data.as_fields()
    with transaction.atomic():
        locked = Retailer.objects.select_for_update().select_related("brand__provider").get(pk=retailer.pk)
        changed = {name: value for name, value in fields.items() if getattr(locked, name) != value}
        if not changed:
            return locked
        for name, value in changed.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changed))
        provider_audit(
            provider=locked.brand.provider, user=user, action="retailer.update", target=str(locked),
            detail={"code": locked.code, "changed": changed},
        )
        return locked


# --- Dealer links across accounts --------------------------------------------------------------
# A brand's manager names the dealer's own provider account; that account sees nothing of the brand until one
# of its owners or managers accepts. Taking access away (unlinking, naming another account, deleting the
# dealer) is immediate. Every step writes an audit row on both sides.


def _link_audit(*, retailer: Retailer, invited: Provider, user: Any, brand_action: str, dealer_action: str,
                actor_label: str | None = None) -> None:
    detail = {
        "brand_code": retailer.brand.brand_code, "brand": retailer.brand.name,
        "brand_provider": retailer.brand.provider.iys_code, "code": retailer.code, "retailer": retailer.name,
        "linked_provider": invited.iys_code, "linked_provider_name": invited.name,
    }
    provider_audit(provider=retailer.brand.provider_id, user=user, action=brand_action,
                   target=f"{retailer} → {invited}", detail=detail, actor_label=actor_label)
    provider_audit(provider=invited, user=user, action=dealer_action,
                   target=f"{retailer.brand} / {retailer}", detail=detail, actor_label=actor_label)


def _withdraw_pending(*, retailer: Retailer, user: Any, actor_label: str | None = None) -> None:
    pending = RetailerLinkInvitation.objects.select_for_update().select_related("provider").filter(
        retailer=retailer, state=LinkState.PENDING
    ).first()
    if pending is None:
        return
    pending.state = LinkState.WITHDRAWN
    pending.decided_by = user
    pending.decided_at = timezone.now()
    pending.save(update_fields=["state", "decided_by", "decided_at"])
    _link_audit(retailer=retailer, invited=pending.provider, user=user, brand_action="retailer.link_withdraw",
                dealer_action="dealer_link.withdrawn", actor_label=actor_label)


def _unlink(*, retailer: Retailer, user: Any, actor_label: str | None = None) -> None:
    previous = retailer.linked_provider
    if previous is None:
        return
    retailer.linked_provider = None
    retailer.save(update_fields=["linked_provider"])
    _link_audit(retailer=retailer, invited=previous, user=user, brand_action="retailer.unlink",
                dealer_action="dealer_link.ended", actor_label=actor_label)


def retailer_link(*, retailer: Retailer, provider: Provider | None, user: Any) -> RetailerLinkInvitation | None:
    """Name the dealer's own provider account (None: no account). Returns the invitation when one was made.

    Another provider's account is invited; the current link and any other pending invitation end at once.
    Naming the brand's own account links it directly: it sees the brand anyway, there is no one to ask.
    """
    with transaction.atomic():
        locked = Retailer.objects.select_for_update().select_related("brand__provider").get(pk=retailer.pk)
        pending = RetailerLinkInvitation.objects.filter(retailer=locked, state=LinkState.PENDING).first()
        if provider is not None and provider.pk == locked.linked_provider_id:
            _withdraw_pending(retailer=locked, user=user)
            return None
        if provider is not None and pending is not None and pending.provider_id == provider.pk:
            return None  # already asked; asking again changes nothing
        _withdraw_pending(retailer=locked, user=user)
        _unlink(retailer=locked, user=user)
        if provider is None:
            return None
        if provider.pk == locked.brand.provider_id:
            locked.linked_provider = provider
            locked.save(update_fields=["linked_provider"])
            return None
        invitation = RetailerLinkInvitation.objects.create(retailer=locked, provider=provider, requested_by=user)
        _link_audit(retailer=locked, invited=provider, user=user, brand_action="retailer.link_request",
                    dealer_action="dealer_link.invited")
        return invitation


def _decide(*, invitation_id: int, provider: Provider, user: Any, accept: bool) -> RetailerLinkInvitation:
    found = RetailerLinkInvitation.objects.filter(pk=invitation_id, provider=provider).first()
    if found is None:
        raise SetupError(_("Bu davet bulunamadı."))
    with transaction.atomic():
        # The dealer row first, as the brand's side does: the two sides never wait on each other in a circle.
        retailer = Retailer.objects.select_for_update().select_related("brand__provider").get(pk=found.retailer_id)
        invitation = RetailerLinkInvitation.objects.select_for_update().get(pk=found.pk)
        if invitation.state != LinkState.PENDING:
            raise SetupError(
                _("Bu davet artık yanıt beklemiyor (durumu: %(state)s).") % {"state": invitation.get_state_display()}
            )
        invitation.state = LinkState.ACCEPTED if accept else LinkState.DECLINED
        invitation.decided_by = user
        invitation.decided_at = timezone.now()
        invitation.save(update_fields=["state", "decided_by", "decided_at"])
        if accept:
            retailer.linked_provider = provider
            retailer.save(update_fields=["linked_provider"])
        _link_audit(
            retailer=retailer, invited=provider, user=user,
            brand_action="retailer.link_accepted" if accept else "retailer.link_declined",
            dealer_action="dealer_link.accept" if accept else "dealer_link.decline",
        )
        return invitation


def dealer_invitation_accept(*, invitation_id: int, provider: Provider, user: Any) -> RetailerLinkInvitation:
    """The invited provider takes the dealer role: from now on its staff see the brand and act as the dealer."""
    return _decide(invitation_id=invitation_id, provider=provider, user=user, accept=True)


def dealer_invitation_decline(*, invitation_id: int, provider: Provider, user: Any) -> RetailerLinkInvitation:
    return _decide(invitation_id=invitation_id, provider=provider, user=user, accept=False)


def retailer_delete(
    *, retailer: Retailer, user: Any, actor_label: str | None = None, action: str = "retailer.delete"
) -> None:
    """Remove a dealer; refused while any consent, history row, access grant or API user names it."""
    with transaction.atomic():
        locked = Retailer.objects.select_for_update().select_related("brand__provider").filter(pk=retailer.pk).first()
        if locked is None:
            return
        consent_count = Consent.objects.filter(retailer=locked).count()
        if consent_count:
            raise SetupError(
                _("%(name)s silinemez: %(count)s izin kaydında bu bayi adı geçiyor. Önce bu izinlerin bayi "
                  "bilgisini değiştirin ya da bayiyi olduğu gibi bırakın.") % {"name": locked.name, "count": consent_count}
            )
        if ConsentEvent.objects.filter(retailer=locked).exists():
            raise SetupError(
                _("%(name)s silinemez: izin geçmişinde bu bayinin kaydettiği hareketler var ve geçmiş "
                  "değiştirilemez.") % {"name": locked.name}
            )
        if RetailerAccess.objects.filter(retailer=locked).exists():
            raise SetupError(
                _("%(name)s silinemez: bazı izinlere erişim yetkisi var. Önce bu erişimleri kaldırın.")
                % {"name": locked.name}
            )
        if ApiUser.objects.filter(retailer=locked).exists():
            raise SetupError(
                _("%(name)s silinemez: bu bayinin API kullanıcısı var. Önce API kullanıcısını kaldırın.")
                % {"name": locked.name}
            )
        provider_audit(provider=locked.brand.provider_id, user=user, action=action, target=str(locked),
               detail={"brand_code": locked.brand.brand_code, "code": locked.code, "name": locked.name},
               actor_label=actor_label)
        # The linked (or invited) account is told too: its access ends with the dealer.
        _withdraw_pending(retailer=locked, user=user, actor_label=actor_label)
        _unlink(retailer=locked, user=user, actor_label=actor_label)
        try:
            with transaction.atomic():
                locked.delete()
        except (ProtectedError, RestrictedError, IntegrityError):
            # Something else of the registry still names this dealer: it stays.
            raise SetupError(_("%(name)s silinemez: kayıtlarda adı geçiyor.") % {"name": locked.name}) from None


# --- Intermediary authorisations -------------------------------------------------------------


def intermediary_authorize(
    *, brand: Brand, intermediary: Intermediary, channel: str, user: Any
) -> IntermediaryAuthorization:
    """Let an intermediary query one channel of a brand; an active grant is returned unchanged."""
    if channel not in Channel.values:
        raise SetupError(_("Kanal MESAJ, ARAMA ya da EPOSTA olmalıdır."), field="channel")
    if not intermediary.is_active:
        raise SetupError(_("Bu aracı hizmet sağlayıcı etkin değil."), field="intermediary")
    with transaction.atomic():
        # The brand row serialises grants of that brand, so two clicks cannot create two grants.
        Brand.objects.select_for_update().filter(pk=brand.pk).first()
        active = IntermediaryAuthorization.objects.filter(
            brand=brand, intermediary=intermediary, channel=channel, revoked_at__isnull=True
        ).first()
        if active is not None:
            return active
        grant = IntermediaryAuthorization.objects.create(
            brand=brand, intermediary=intermediary, channel=channel, granted_by=user
        )
        provider_audit(provider=brand.provider, user=user, action="intermediary.authorize",
               target=f"{intermediary} → {brand.brand_code}/{channel}",
               detail={"intermediary": intermediary.code, "brand_code": brand.brand_code, "channel": channel})
        return grant


def intermediary_revoke(*, authorization: IntermediaryAuthorization, user: Any) -> bool:
    """Revoke a grant; the row stays with who revoked it and when. False if it was already revoked."""
    with transaction.atomic():
        updated = IntermediaryAuthorization.objects.filter(pk=authorization.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=user
        )
        if not updated:
            return False
        grant = IntermediaryAuthorization.objects.select_related("brand__provider", "intermediary").get(
            pk=authorization.pk
        )
        provider_audit(provider=grant.brand.provider, user=user, action="intermediary.revoke",
               target=f"{grant.intermediary} → {grant.brand.brand_code}/{grant.channel}",
               detail={"intermediary": grant.intermediary.code, "brand_code": grant.brand.brand_code,
                       "channel": grant.channel})
        return True
