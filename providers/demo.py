"""Demo providers, brands, staff, dealers and an intermediary."""
from __future__ import annotations

from django.contrib.auth import get_user_model

from config.demo import DemoContext

from .models import (
    Brand,
    Intermediary,
    IntermediaryAuthorization,
    Membership,
    Provider,
    Retailer,
    RetailerKind,
    Role,
    Tier,
)

DEMO_PASSWORD = "ileti-demo-2026"

PROVIDERS = [
    # iys_code, name, tier, brands (code, name, is_master)
    (611111, "Anadolu Elektronik A.Ş.", Tier.LARGE, [(700101, "Anadolu Elektronik", True), (700102, "Tekno Market", False)]),
    (611112, "Boğaziçi Giyim Ltd. Şti.", Tier.SMALL, [(700201, "Boğaziçi Giyim", True), (700202, "Moda Kapında", False)]),
    (611113, "Ege Sigorta A.Ş.", Tier.SMALL, [(700301, "Ege Sigorta", True)]),
]


def build(ctx: DemoContext) -> list[str]:
    User = get_user_model()
    admin = User.objects.create_superuser("admin", "admin@ileti.local", DEMO_PASSWORD)
    owner = User.objects.create_user("demo", "demo@ileti.local", DEMO_PASSWORD, first_name="Deniz", last_name="Yılmaz")
    operator = User.objects.create_user("operator", "operator@ileti.local", DEMO_PASSWORD, first_name="Okan")
    viewer = User.objects.create_user("viewer", "viewer@ileti.local", DEMO_PASSWORD, first_name="Vildan")
    dealer_user = User.objects.create_user("bayi", "bayi@ileti.local", DEMO_PASSWORD, first_name="Bora")

    providers, brands = [], []
    for iys_code, name, tier, brand_rows in PROVIDERS:
        provider = Provider.objects.create(
            iys_code=iys_code, name=name, tier=tier, tier_pinned=tier == Tier.LARGE, tax_number=f"{iys_code}0000"[:10]
        )
        providers.append(provider)
        for code, brand_name, is_master in brand_rows:
            brands.append(Brand.objects.create(provider=provider, brand_code=code, name=brand_name, is_master=is_master))
    Membership.objects.create(user=owner, provider=providers[0], role=Role.OWNER)
    Membership.objects.create(user=owner, provider=providers[1], role=Role.MANAGER)
    Membership.objects.create(user=operator, provider=providers[0], role=Role.OPERATOR)
    Membership.objects.create(user=viewer, provider=providers[0], role=Role.VIEWER)
    Membership.objects.create(user=owner, provider=providers[2], role=Role.OWNER)

    # A dealer with a provider account of its own: it sees Anadolu Elektronik's consents, and no other brand's.
    dealer_company = Provider.objects.create(iys_code=611114, name="Kadıköy İletişim Bayi Ltd.", tier=Tier.SMALL)
    Brand.objects.create(provider=dealer_company, brand_code=700401, name="Kadıköy İletişim", is_master=True)
    Membership.objects.create(user=dealer_user, provider=dealer_company, role=Role.OWNER)
    retailers = [
        Retailer.objects.create(
            brand=brands[0], code=55550127, name="Kadıköy İletişim Bayi Ltd.", kind=RetailerKind.BAYI,
            city="İstanbul", town="Kadıköy", linked_provider=dealer_company,
        ),
        Retailer.objects.create(
            brand=brands[0], code=58795354, name="Çankaya Teknoloji", kind=RetailerKind.BAYI, city="Ankara", town="Çankaya"
        ),
        Retailer.objects.create(
            brand=brands[4], code=30143398, name="Karşıyaka Sigorta Acentesi", kind=RetailerKind.ACENTE,
            city="İzmir", town="Karşıyaka",
        ),
    ]
    intermediary = Intermediary.objects.create(name="Hızlı SMS Platformu A.Ş.", code=900001, tax_number="9000010000")
    for brand, channel in [(brands[0], "MESAJ"), (brands[0], "ARAMA"), (brands[2], "MESAJ")]:
        IntermediaryAuthorization.objects.create(intermediary=intermediary, brand=brand, channel=channel, granted_by=owner)

    ctx.objects.update(
        providers=providers, brands=brands, retailers=retailers, intermediary=intermediary,
        users={"admin": admin, "demo": owner, "operator": operator, "viewer": viewer, "bayi": dealer_user},
        password=DEMO_PASSWORD,
    )
    return signin_lines()


def signin_lines() -> list[str]:
    return [
        "Business portal  http://127.0.0.1:8000/isletme/",
        f"  demo / {DEMO_PASSWORD}      owner of Anadolu Elektronik and Ege Sigorta, manager of Boğaziçi Giyim",
        f"  operator / {DEMO_PASSWORD}  operator at Anadolu Elektronik;  viewer / {DEMO_PASSWORD}  read-only",
        f"  bayi / {DEMO_PASSWORD}      dealer Kadıköy İletişim, sees brand Anadolu Elektronik (700101) only",
        f"Admin            http://127.0.0.1:8000/admin/   admin / {DEMO_PASSWORD}",
    ]
