"""Background work of the business portal."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import RetailerLinkInvitation
from .selectors import invitation_deciders, refresh_dashboard_numbers


@shared_task(ignore_result=True)
def refresh_dashboard(provider_id: int) -> None:
    """Recompute a provider's dashboard numbers into the cache (idempotent: it only overwrites them)."""
    refresh_dashboard_numbers(provider_id=provider_id)


@shared_task(name="providers.compact_dashboard_counts", ignore_result=True)
def compact_dashboard_counts() -> None:
    """Fold the database sessions' rows of the dashboard's running totals into one row per key."""
    from consents.counts import compact

    compact()


@shared_task(ignore_result=True)
def mail_dealer_invitation(invitation_id: int) -> None:
    """Tell the invited provider's owners and managers (those with an e-mail address) that a brand asks."""
    invitation = (
        RetailerLinkInvitation.objects.select_related("retailer__brand__provider", "provider")
        .filter(pk=invitation_id).first()
    )
    if invitation is None:
        return
    addresses = [m.user.email for m in invitation_deciders(invitation.provider)]
    if not addresses:
        return
    retailer = invitation.retailer
    params = {
        "provider": retailer.brand.provider.name, "brand": retailer.brand.name, "retailer": retailer.name,
        "code": retailer.code, "url": settings.SITE_URL.rstrip("/") + reverse("portal:dealer_invitations"),
    }
    with translation.override("tr"):
        subject = _("Bayilik daveti: %(brand)s") % params
    # Turkish first, English below: we do not know each reader's language.
    parts = []
    for language in ("tr", "en"):
        with translation.override(language):
            parts.append(_(
                "%(provider)s, %(brand)s markası için hesabınızı bayi olarak (%(retailer)s, bayi no %(code)s) "
                "bağlamak istiyor. Kabul edene kadar bu markanın hiçbir kaydını görmezsiniz. Daveti portalda "
                "kabul edebilir ya da reddedebilirsiniz: %(url)s"
            ) % params)
    send_mail(subject, "\n\n".join(parts), None, addresses)
