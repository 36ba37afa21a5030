"""factory-boy factories shared by every test package."""
from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from consents.models import DeclarationPeriod
from providers.models import (
    Brand,
    Intermediary,
    IntermediaryAuthorization,
    Membership,
    Provider,
    Retailer,
    Role,
    Tier,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("parola-123456")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Örnek Ticaret A.Ş. {n}")
    iys_code = factory.Sequence(lambda n: 600000 + n)
    tax_number = factory.Sequence(lambda n: f"{1000000000 + n}")
    tier = Tier.SMALL


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Marka {n}")
    brand_code = factory.Sequence(lambda n: 700000 + n)
    is_master = False


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
    role = Role.OWNER


def valid_tckn(first_nine: int) -> str:
    """A TCKN with correct check digits built from nine digits (no leading zero)."""
    d = [int(c) for c in str(first_nine)]
    d.append((sum(d[0:9:2]) * 7 - sum(d[1:8:2])) % 10)
    d.append(sum(d) % 10)
    return "".join(map(str, d))


class RetailerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Retailer

    brand = factory.SubFactory(BrandFactory)
    code = factory.Sequence(lambda n: 20_000_000 + n)
    name = factory.Sequence(lambda n: f"Bayi {n}")
    contact_name = "Ayşe Yılmaz"
    tckn = factory.Sequence(lambda n: valid_tckn(100_000_000 + n))
    tax_number = "8450525470"
    city_code, city, town_code, town = 34, "İstanbul", 429, "Kadıköy"


class IntermediaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intermediary

    name = factory.Sequence(lambda n: f"Aracı {n}")
    code = factory.Sequence(lambda n: 900000 + n)


class IntermediaryAuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntermediaryAuthorization

    intermediary = factory.SubFactory(IntermediaryFactory)
    brand = factory.SubFactory(BrandFactory)
    channel = "MESAJ"


class DeclarationPeriodFactory(factory.django.DjangoModelFactory):
    """An open period by default: declarations accepted until next week."""

    class Meta:
        model = DeclarationPeriod

    name = factory.Sequence(lambda n: f"Dönem {n}")
    tier = Tier.SMALL
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    declare_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    visible_from = factory.LazyAttribute(lambda o: o.declare_until + dt.timedelta(days=1))
    review_until = factory.LazyAttribute(lambda o: o.visible_from + dt.timedelta(days=45))
