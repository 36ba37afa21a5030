"""Builders shared by the portal tests: a provider with staff, brands and consents."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.utils import timezone

from consents import counts
from consents.actors import Actor
from consents.models import (
    ActorKind,
    Consent,
    ConsentEvent,
    EventAction,
    RecipientType,
    Source,
    Status,
    Via,
    new_transaction_id,
)
from consents.services import consent_record
from providers.models import Brand, Membership, Provider, Role
from tests import factories

_phones = itertools.count(5_300_000_000)


def next_phone() -> str:
    return f"+90{next(_phones)}"


@dataclass
class Setup:
    provider: Provider
    brand: Brand
    owner: Membership

    @property
    def user(self):
        return self.owner.user


def make_setup(role: str = Role.OWNER, **provider_fields: object) -> Setup:
    provider = factories.ProviderFactory(**provider_fields)
    brand = factories.BrandFactory(provider=provider, is_master=True)
    membership = factories.MembershipFactory(provider=provider, role=role)
    return Setup(provider, brand, membership)


def record(brand: Brand, *, user=None, recipient: str | None = None, channel: str = "MESAJ",
           status: str = Status.ONAY, actor: Actor | None = None, **extra: object) -> Consent:
    """One consent through the real service (a fresh consent dated now, so no period is needed)."""
    if actor is None:
        actor = Actor.provider_user(user or factories.UserFactory())
    result = consent_record(
        brand=brand,
        recipient=recipient or next_phone(),
        recipient_type=extra.pop("recipient_type", RecipientType.BIREYSEL),
        channel=channel,
        status=status,
        source=extra.pop("source", Source.HS_WEB),
        consent_date=extra.pop("consent_date", timezone.now() - dt.timedelta(minutes=5)),
        actor=actor,
        via=Via.WEB,
        **extra,
    )
    return result.consent


def bulk_consents(brand: Brand, n: int, *, days_back: int = 20, under_review_every: int = 0) -> None:
    """n consents with one CREATE event each (and every 4th a citizen RET), inserted set-based."""
    now = timezone.now()
    consents = []
    for i in range(n):
        when = now - dt.timedelta(days=i % days_back, hours=1)
        review = now + dt.timedelta(days=10) if under_review_every and i % under_review_every == 0 else None
        consents.append(Consent(
            brand=brand, recipient=next_phone(), recipient_type=RecipientType.BIREYSEL,
            channel=("MESAJ", "ARAMA")[i % 2], status=Status.ONAY, source=Source.HS_WEB,
            consent_date=when, created_at=when, updated_at=when, transaction_id=new_transaction_id(),
            review_until=review,
        ))
        consents[-1].citizen_rejects = i % 4 == 0
    # Ids grow with time in production; insert oldest first so the test data does too.
    consents.sort(key=lambda c: c.created_at)
    Consent.objects.bulk_create(consents, batch_size=2000)
    events = []
    for c in consents:
        events.append(ConsentEvent(
            consent=c, brand=brand, recipient=c.recipient, recipient_type=c.recipient_type, channel=c.channel,
            action=EventAction.CREATE, status=Status.ONAY, source=c.source, consent_date=c.consent_date,
            created_at=c.created_at, transaction_id=new_transaction_id(), actor_kind=ActorKind.PROVIDER,
            actor_label="toplu", via=Via.UPLOAD,
        ))
        if c.citizen_rejects:
            events.append(ConsentEvent(
                consent=c, brand=brand, recipient=c.recipient, recipient_type=c.recipient_type, channel=c.channel,
                action=EventAction.CHANGE, previous_status=Status.ONAY, status=Status.RET, source=Source.IYS_WEB,
                consent_date=c.created_at, created_at=c.created_at + dt.timedelta(minutes=1),
                transaction_id=new_transaction_id(), actor_kind=ActorKind.CITIZEN, actor_label="vatandaş",
                via=Via.WEB,
            ))
    events.sort(key=lambda e: e.created_at)
    ConsentEvent.objects.bulk_create(events, batch_size=2000)
    # Written around the services (as demo data and backfills are): the dashboard's totals from the rows.
    counts.recount(brand_ids=[brand.pk])


def browser_sign_in(browser, username: str, password: str = "parola-123456") -> None:
    """Sign in through the real portal form (for browser tests of any portal page)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(browser.live_server_url + "/isletme/giris/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".portal-context")))
