"""Demo lines for opt-out without an account: the public page, a signed link, and an inbound SMS call."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from config.demo import DemoContext
from providers.models import Brand

from .services import optout_link_for

DEMO_EMAIL = "ayse.demir@example.com"


def build(ctx: DemoContext) -> list[str]:
    brands = list(ctx.objects.get("brands") or []) or list(Brand.objects.filter(is_active=True)[:1])
    if not brands:
        return ["Opt-out: no brand to demonstrate (run the provider builders first)."]
    brand = brands[0]
    site = settings.SITE_URL.rstrip("/")
    secret = settings.SMS_INBOUND_SECRET or "<SMS_INBOUND_SECRET is unset: the endpoint answers 403>"
    page = f"{site}{reverse('optout:brand', args=[brand.brand_code])}"
    link = optout_link_for(brand=brand, recipient=DEMO_EMAIL)
    inbound = f"{site}{reverse('optout:sms_inbound')}"
    return [
        f"Opt-out page of {brand.name} (no account, code via the dev outbox): {page}",
        f"Signed opt-out link for {DEMO_EMAIL} (90 days; `manage.py optout_link` makes more): {link}",
        f"Reject by SMS: curl -X POST {inbound} -H 'X-Ileti-Secret: {secret}' "
        + f"-d from=+905321112233 -d 'text=RET {brand.brand_code}'",
    ]
