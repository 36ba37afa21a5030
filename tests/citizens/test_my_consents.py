from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from citizens.services import CitizenNotFound, citizen_add_brand, citizen_approve, citizen_reject
from consents.models import ActorKind, Consent, ConsentEvent, Via
from consents.selectors import can_send
from tests.consents.test_spreadsheets import EVIL
from tests.factories import BrandFactory, DeclarationPeriodFactory, ProviderFactory

from .conftest import make_citizen, make_consent, sign_in_client

pytestmark = pytest.mark.django_db
PHONE = "+905321234567"
EMAIL = "ayse@example.com"
STRANGER = "+905559998877"


@pytest.fixture
def citizen():
    return make_citizen(PHONE, EMAIL)


@pytest.fixture
def brands():
    provider = ProviderFactory(name="Deniz Market A.Ş.")
    return BrandFactory(provider=provider, name="Deniz Market"), BrandFactory(name="Yıldız Giyim")


def _last_event(consent: Consent) -> ConsentEvent:
    return ConsentEvent.objects.filter(consent=consent).latest("id")


def _assert_citizen_event(consent: Consent, citizen, *, status: str, source: str) -> None:
    consent.refresh_from_db()
    event = _last_event(consent)
    assert consent.status == status and consent.source == source
    assert event.status == status and event.source == source
    assert event.actor_kind == ActorKind.CITIZEN and event.actor_ref == str(citizen.pk)
    assert event.via == Via.WEB


def test_page_groups_consents_by_brand_with_status_source_and_date(client, citizen, brands):
    deniz, yildiz = brands
    make_consent(deniz, PHONE, "MESAJ")
    make_consent(deniz, PHONE, "ARAMA", status="ONAY")
    make_consent(yildiz, EMAIL, "EPOSTA")
    sign_in_client(client, citizen)
    page = client.get(reverse("citizens:consents")).content.decode()
    assert "Deniz Market A.Ş." in page and "Deniz Market" in page and "Yıldız Giyim" in page
    assert page.count('class="consent-row"') == 3
    assert page.count('data-state="on"') == 3
    assert "Web sitesi" in page  # source HS_WEB, in words
    assert page.count('class="card brand-card"') == 2
    # The alias URL shows the same page.
    assert client.get(reverse("citizens:consents_alias")).status_code == 200


def test_declared_consent_under_review_shows_badge_and_deadline(client, citizen, brands):
    visible = DeclarationPeriodFactory(
        opens_on=timezone.localdate() - dt.timedelta(days=60),
        declare_until=timezone.localdate() - dt.timedelta(days=10),
        visible_from=timezone.localdate() - dt.timedelta(days=5),
        review_until=timezone.localdate() + dt.timedelta(days=30),
    )
    review_until = timezone.now() + dt.timedelta(days=30)
    make_consent(brands[0], PHONE, declaration_period=visible, review_until=review_until, source="HS_2015")
    sign_in_client(client, citizen)
    page = client.get(reverse("citizens:consents")).content.decode()
    assert "İnceleme süresinde" in page
    assert "Son inceleme günü" in page  # one term for the review window (issue 13)
    assert str(timezone.localtime(review_until).year) in page


def test_declarations_not_yet_visible_are_hidden_and_the_page_says_when(client, citizen, brands):
    future = DeclarationPeriodFactory(
        declare_until=timezone.localdate() + dt.timedelta(days=5),
        visible_from=timezone.localdate() + dt.timedelta(days=6),
        review_until=timezone.localdate() + dt.timedelta(days=50),
    )
    hidden = make_consent(
        brands[1], PHONE, declaration_period=future, review_until=timezone.now() + dt.timedelta(days=50),
        source="HS_2015",
    )
    make_consent(brands[0], PHONE)
    sign_in_client(client, citizen)
    page = client.get(reverse("citizens:consents")).content.decode()
    assert "Yıldız Giyim" not in page and "Deniz Market" in page
    assert "Henüz görünmeyen beyanlar" in page
    from django.utils.formats import date_format

    assert date_format(future.visible_from, "j F Y") in page
    # Nor can it be touched through a crafted request.
    response = client.post(reverse("citizens:reject"), {"scope": "consent", "consent": hidden.pk, "confirm": "1"})
    assert response.status_code == 404
    assert client.post(reverse("citizens:reject"), {"scope": "all", "confirm": "1"}).status_code == 302
    hidden.refresh_from_db()
    assert hidden.status == "ONAY"
    # Once visible, it appears.
    Consent.objects.filter(pk=hidden.pk).update(declaration_period=DeclarationPeriodFactory(
        declare_until=timezone.localdate() - dt.timedelta(days=5),
        opens_on=timezone.localdate() - dt.timedelta(days=30),
        visible_from=timezone.localdate(), review_until=timezone.localdate() + dt.timedelta(days=40),
    ))
    assert "Yıldız Giyim" in client.get(reverse("citizens:consents")).content.decode()


def test_reject_one_channel_needs_confirmation_then_writes_a_citizen_history_row(client, citizen, brands):
    mesaj = make_consent(brands[0], PHONE, "MESAJ")
    arama = make_consent(brands[0], PHONE, "ARAMA")
    sign_in_client(client, citizen)
    page = client.post(reverse("citizens:reject"), {"scope": "consent", "consent": mesaj.pk})
    assert page.status_code == 200 and "Reddi onaylayın" in page.content.decode()
    mesaj.refresh_from_db()
    assert mesaj.status == "ONAY"  # nothing changes before the confirmation
    response = client.post(reverse("citizens:reject"), {"scope": "consent", "consent": mesaj.pk, "confirm": "1"})
    assert response.status_code == 302
    _assert_citizen_event(mesaj, citizen, status="RET", source="IYS_WEB")
    arama.refresh_from_db()
    assert arama.status == "ONAY"
    assert ConsentEvent.objects.filter(consent=mesaj).count() == 2


def test_reject_a_whole_brand(client, citizen, brands):
    deniz, yildiz = brands
    rows = [make_consent(deniz, PHONE, "MESAJ"), make_consent(deniz, PHONE, "ARAMA"), make_consent(deniz, EMAIL, "EPOSTA")]
    other_brand = make_consent(yildiz, PHONE, "MESAJ")
    sign_in_client(client, citizen)
    page = client.post(reverse("citizens:reject"), {"scope": "brand", "brand": deniz.pk}).content.decode()
    assert page.count("<li><strong>Deniz Market</strong>") == 3
    client.post(reverse("citizens:reject"), {"scope": "brand", "brand": deniz.pk, "confirm": "1"})
    for consent in rows:
        _assert_citizen_event(consent, citizen, status="RET", source="IYS_WEB")
    other_brand.refresh_from_db()
    assert other_brand.status == "ONAY"


def test_reject_everything_and_nothing_twice(client, citizen, brands):
    rows = [make_consent(brands[0], PHONE), make_consent(brands[1], EMAIL, "EPOSTA")]
    already = make_consent(brands[1], PHONE, "ARAMA", status="RET", source="IYS_WEB")
    stranger = make_consent(brands[0], STRANGER)
    sign_in_client(client, citizen)
    client.post(reverse("citizens:reject"), {"scope": "all", "confirm": "1"})
    for consent in rows:
        _assert_citizen_event(consent, citizen, status="RET", source="IYS_WEB")
    assert ConsentEvent.objects.filter(consent=already).count() == 1  # already RET: untouched
    stranger.refresh_from_db()
    assert stranger.status == "ONAY"
    events = ConsentEvent.objects.count()
    assert citizen_reject(citizen=citizen) == 0
    assert ConsentEvent.objects.count() == events


def test_reapprove_a_rejected_channel_and_a_rejected_brand(client, citizen, brands):
    deniz = brands[0]
    mesaj = make_consent(deniz, PHONE, "MESAJ", status="RET", source="IYS_WEB")
    arama = make_consent(deniz, PHONE, "ARAMA", status="RET", source="HS_KARAR")
    sign_in_client(client, citizen)
    # Re-approving asks first, naming the brand, its provider and the channel; nothing changes yet.
    page = client.post(reverse("citizens:approve"), {"consent": mesaj.pk}).content.decode()
    assert "Yeniden onayı onaylayın" in page and deniz.name in page and deniz.provider.name in page
    mesaj.refresh_from_db()
    assert mesaj.status == "RET"
    client.post(reverse("citizens:approve"), {"consent": mesaj.pk, "confirm": "1"})
    _assert_citizen_event(mesaj, citizen, status="ONAY", source="IYS_WEB")
    arama.refresh_from_db()
    assert arama.status == "RET"
    client.post(reverse("citizens:approve"), {"brand": deniz.pk, "confirm": "1"})
    _assert_citizen_event(arama, citizen, status="ONAY", source="IYS_WEB")


def test_add_a_brand_without_a_record_writes_iys_web_yeni(client, citizen, brands):
    deniz, yildiz = brands
    existing = make_consent(deniz, PHONE, "MESAJ", status="RET", source="IYS_WEB")
    sign_in_client(client, citizen)
    page = client.get(reverse("citizens:add_brand"), {"q": str(yildiz.brand_code)}).content.decode()
    assert "Yıldız Giyim" in page
    assert "Yıldız Giyim" in client.get(reverse("citizens:add_brand"), {"q": "yıldız"}).content.decode()
    phone_id = citizen.addresses.get(value=PHONE).pk
    client.post(reverse("citizens:add_brand"), {"brand": yildiz.pk, "address": phone_id, "channel": ["MESAJ", "ARAMA", "EPOSTA"]})
    added = Consent.objects.filter(brand=yildiz, recipient=PHONE)
    assert sorted(added.values_list("channel", flat=True)) == ["ARAMA", "MESAJ"]  # EPOSTA needs an e-mail
    for consent in added:
        _assert_citizen_event(consent, citizen, status="ONAY", source="IYS_WEB_YENI")
        assert _last_event(consent).action == "CREATE"
    # A brand that already has a record for the channel is left to the switches.
    assert citizen_add_brand(citizen=citizen, brand=deniz, address_id=phone_id, channels=["MESAJ"]) == 0
    existing.refresh_from_db()
    assert existing.status == "RET"


def test_a_citizen_never_sees_or_changes_another_addresss_consents(client, citizen, brands):
    deniz, yildiz = brands
    mine = make_consent(deniz, PHONE)
    theirs = make_consent(yildiz, STRANGER)
    theirs_ret = make_consent(yildiz, STRANGER, "ARAMA", status="RET", source="IYS_WEB")
    stranger = make_citizen(STRANGER)
    stranger_address = stranger.addresses.get()
    sign_in_client(client, citizen)
    before = ConsentEvent.objects.count()

    assert "Yıldız Giyim" not in client.get(reverse("citizens:consents")).content.decode()
    assert STRANGER not in client.get(reverse("citizens:addresses")).content.decode()
    for data in (
        {"scope": "consent", "consent": theirs.pk},
        {"scope": "consent", "consent": theirs.pk, "confirm": "1"},
        {"scope": "consent", "consent": [mine.pk, theirs.pk], "confirm": "1"},
        {"scope": "brand", "brand": yildiz.pk},
        {"scope": "brand", "brand": yildiz.pk, "confirm": "1"},
        {"scope": "consent", "consent": "abc", "confirm": "1"},
    ):
        assert client.post(reverse("citizens:reject"), data).status_code == 404, data
    for data in ({"consent": theirs_ret.pk}, {"brand": yildiz.pk}, {"consent": [mine.pk, theirs_ret.pk]}):
        assert client.post(reverse("citizens:approve"), data).status_code == 404, data
    response = client.post(
        reverse("citizens:add_brand"), {"brand": yildiz.pk, "address": stranger_address.pk, "channel": ["MESAJ"]}
    )
    assert response.status_code == 404
    assert client.post(reverse("citizens:address_release", args=[stranger_address.pk])).status_code == 404
    json_data = client.get(reverse("citizens:my_data_json")).content.decode()
    csv_data = b"".join(client.get(reverse("citizens:my_data_csv")).streaming_content).decode()
    for text in (json_data, csv_data):
        assert STRANGER not in text and "Yıldız Giyim" not in text and PHONE in text

    # "Reject everything" touches only my addresses.
    client.post(reverse("citizens:reject"), {"scope": "all", "confirm": "1"})
    theirs.refresh_from_db()
    theirs_ret.refresh_from_db()
    assert theirs.status == "ONAY" and theirs_ret.status == "RET"
    # My one consent's channel: its RET and the TACIR RET that makes it hold for every type (issue 10).
    assert ConsentEvent.objects.count() == before + 2
    assert [e.recipient for e in ConsentEvent.objects.order_by("-id")[:2]] == [PHONE, PHONE]
    with pytest.raises(CitizenNotFound):
        citizen_approve(citizen=citizen, brand_id=yildiz.pk)


def test_every_citizen_page_requires_sign_in(client, brands):
    for name in ("consents", "consents_alias", "addresses", "address_verify", "add_brand", "my_data",
                 "my_data_json", "my_data_csv"):
        response = client.get(reverse(f"citizens:{name}"))
        assert response.status_code == 302 and response.url.startswith(reverse("citizens:sign_in")), name
    for name in ("reject", "approve"):
        assert client.post(reverse(f"citizens:{name}"), {"scope": "all", "confirm": "1"}).status_code == 302


def test_my_data_as_json_and_csv(client, citizen, brands):
    consent = make_consent(brands[0], PHONE)
    citizen_reject(citizen=citizen, consent_ids=[consent.pk])
    sign_in_client(client, citizen)
    response = client.get(reverse("citizens:my_data_json"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert {a["value"] for a in data["addresses"]} == {PHONE, EMAIL}
    # The rejection holds for every recipient type: the TACIR RET the citizen's rejection created is theirs too.
    row, tacir = data["consents"]
    assert row["brand"] == "Deniz Market" and row["status"] == "RET" and row["recipient_type"] == "BIREYSEL"
    assert [h["status"] for h in row["history"]] == ["RET", "ONAY"]
    assert row["history"][0]["source"] == "IYS_WEB"
    assert (tacir["recipient_type"], tacir["status"], [h["status"] for h in tacir["history"]]) == ("TACIR", "RET", ["RET"])
    response = client.get(reverse("citizens:my_data_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    # Headers and codes in the citizen's language, codes beside their labels (issue 13).
    assert len(rows) == 3 and {r["Durum"] for r in rows} == {"Onay (ONAY)", "Ret (RET)"}
    assert rows[0]["Marka"] == "Deniz Market"
    assert rows[0]["Alıcı"] == "'" + PHONE  # E.164's '+' would start a formula
    assert "İYS web (IYS_WEB)" in {r["Kaynak"] for r in rows}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = b"".join(client.get(reverse("citizens:my_data_csv")).streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Status"] for r in rows} == {"Consent (ONAY)", "Rejection (RET)"} and rows[0]["Brand"] == "Deniz Market"


def test_my_data_csv_keeps_a_brand_named_like_a_formula_inert(client, citizen):
    provider = ProviderFactory(name=EVIL)
    make_consent(BrandFactory(provider=provider, name=EVIL), PHONE)
    sign_in_client(client, citizen)
    text = b"".join(client.get(reverse("citizens:my_data_csv")).streaming_content).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["Marka"] == row["Hizmet sağlayıcı"] == "'" + EVIL


def _bulk_consents(brands: list, recipient: str, n: int) -> None:
    now = timezone.now()
    channels = ["MESAJ", "ARAMA"]
    rows = []
    for i in range(n):
        rows.append(Consent(
            brand=brands[i // 2], recipient=recipient, recipient_type="BIREYSEL", channel=channels[i % 2],
            status="ONAY", source="HS_WEB", consent_date=now, created_at=now, updated_at=now,
            transaction_id=f"bulk-{recipient}-{i}",
        ))
    created = Consent.objects.bulk_create(rows)
    ConsentEvent.objects.bulk_create([
        ConsentEvent(
            consent=c, brand=c.brand, recipient=c.recipient, recipient_type=c.recipient_type, channel=c.channel,
            action="CREATE", status="ONAY", source="HS_WEB", consent_date=now, created_at=now,
            transaction_id=c.transaction_id, actor_kind="PROVIDER", via="UPLOAD",
        )
        for c in created
    ])


def _queries_for_consents_page(client, n: int) -> tuple[int, str]:
    provider = ProviderFactory()
    brands = BrandFactory.create_batch((n + 1) // 2, provider=provider)
    phone = f"+90532{n:07d}"
    _bulk_consents(brands, phone, n)
    sign_in_client(client, make_citizen(phone))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("citizens:consents"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_consents_page_query_count_does_not_grow_with_consents(client):
    small, small_page = _queries_for_consents_page(client, 50)
    client.logout()
    large, large_page = _queries_for_consents_page(client, 500)
    assert small_page.count('class="consent-row"') == 50
    assert large_page.count('class="consent-row"') == 500
    assert large == small, (small, large)
    assert large <= 10


def test_rejecting_a_tacir_consent_holds_for_every_recipient_type(client, citizen, brands):
    # Issue 10: the citizen rejects the brand on this address and channel, whatever type it filed them as.
    tacir = make_consent(brands[0], PHONE, "MESAJ", recipient_type="TACIR")
    sign_in_client(client, citizen)
    response = client.post(
        reverse("citizens:reject"), {"scope": "consent", "consent": tacir.pk, "confirm": "1"}, follow=True
    )
    assert "1 izin reddedildi" in response.content.decode()
    rows = Consent.objects.filter(brand=brands[0], recipient=PHONE, channel="MESAJ").order_by("recipient_type")
    assert [(c.recipient_type, c.status, c.source) for c in rows] == [
        ("BIREYSEL", "RET", "IYS_WEB"), ("TACIR", "RET", "IYS_WEB"),
    ]
    for recipient_type in ("BIREYSEL", "TACIR"):
        assert not can_send(brand=brands[0], recipient=PHONE, recipient_type=recipient_type, channel="MESAJ").allowed
