"""Dealers through the API (create, list, get, delete) and dealers' access to consents."""

from __future__ import annotations

import pytest

from consents.models import RetailerAccess
from providers.models import ProviderAuditEvent, Retailer
from tests import factories
from tests.consents.api.support import api, api_user, base, consent_body  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
NEW = {
    "title": "XYZ Ticaret",
    "name": "Adım Soyadım",
    "tckn": "57703411244",
    "mobile": "+905325001111",
    "tin": "8450525470",
    "city": {"code": "34", "name": "İstanbul"},
    "town": {"code": "01", "name": "Kadıköy"},
    "status": "active",
}


def test_create_list_get_and_delete_a_dealer(api, base, brand, provider):
    r = api.post(base + "/retailers", NEW)
    assert r.status_code == 201, r.content
    code = r.json()["retailerCode"]
    assert 10_000_000 <= code <= 99_999_999
    retailer = Retailer.objects.get(code=code)
    assert retailer.brand == brand and retailer.city == "İstanbul" and retailer.mobile == "+905325001111"
    # İYS's own example pairs Kadıköy with code "01": the district is found by name within the province.
    assert (retailer.city_code, retailer.town_code, retailer.town) == (34, 429, "Kadıköy")
    assert (retailer.contact_name, retailer.tckn, retailer.tax_number) == ("Adım Soyadım", "57703411244", "8450525470")
    assert ProviderAuditEvent.objects.filter(provider=provider, action="api.retailer.create").exists()
    listing = api.get(base + "/retailers").json()
    assert listing["pagination"]["totalCount"] == 1 and listing["list"][0]["retailerCode"] == code
    assert api.get(base + f"/retailers/{code}").json()["title"] == "XYZ Ticaret"
    assert api.get(base + "/retailers/12345678").json()["errors"][0]["code"] == "H058"
    r = api.call("DELETE", base + f"/retailers/{code}")
    assert r.status_code == 200 and not Retailer.objects.filter(code=code).exists()


def test_a_dealer_named_by_consents_cannot_be_deleted(api, base, brand):
    dealer = factories.RetailerFactory(brand=brand)
    assert api.post(base + "/consents", consent_body(retailerCode=dealer.code)).status_code == 200
    r = api.call("DELETE", base + f"/retailers/{dealer.code}")
    assert r.status_code == 500 and r.json()["errors"][0]["code"] == "H061"  # İYS's status for H061
    assert Retailer.objects.filter(pk=dealer.pk).exists()


def test_invalid_dealer_fields(api, base):
    assert api.post(base + "/retailers", dict(NEW, mobile="12")).json()["errors"][0]["code"] == "H224"
    assert api.post(base + "/retailers", dict(NEW, tin="12")).json()["errors"][0]["code"] == "H244"
    r = api.post(base + "/retailers", {k: v for k, v in NEW.items() if k != "title"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "H214"


def codes(response) -> list[tuple[str, list]]:
    assert response.status_code == 400, response.content
    return [(e["code"], e.get("location")) for e in response.json()["errors"]]


def test_every_field_iys_requires_is_reported_at_once(api, base):
    r = api.post(base + "/retailers", {"title": "Sadece Unvan"})
    assert codes(r) == [
        ("H217", ["city"]), ("H220", ["town"]), ("H215", ["name"]), ("H216", ["tckn"]), ("H288", ["tin"])
    ]
    r = api.post(base + "/retailers", dict(NEW, city={"code": "", "name": ""}, town={"name": "Kadıköy"}))
    assert codes(r) == [("H218", ["city", "code"]), ("H219", ["city", "name"]), ("H221", ["town", "code"])]
    assert not Retailer.objects.exists()


def test_identity_numbers_and_places_are_checked(api, base):
    assert codes(api.post(base + "/retailers", dict(NEW, tckn="5770341124"))) == [("H226", ["tckn"])]
    assert codes(api.post(base + "/retailers", dict(NEW, tckn="57703411245"))) == [("H225", ["tckn"])]
    assert codes(api.post(base + "/retailers", dict(NEW, tin="8450525471"))) == [("H243", ["tin"])]
    # Kadıköy is not a district of Ankara; province 82 does not exist.
    assert codes(api.post(base + "/retailers", dict(NEW, city={"code": "6", "name": "Ankara"}))) == [
        ("H016", ["town"])
    ]
    assert ("H016", ["city"]) in codes(api.post(base + "/retailers", dict(NEW, city={"code": "82", "name": "X"})))
    # A sole trader's tax number is the TCKN; a district named by code alone is found too.
    r = api.post(base + "/retailers", dict(NEW, tin="57703411244", town={"code": "63", "name": "?"},
                                          city={"code": 6, "name": "ANKARA"}))
    assert r.status_code == 201, r.content
    assert Retailer.objects.get(code=r.json()["retailerCode"]).town == "Çankaya"
    # One dealer per official's TCKN under a brand.
    assert codes(api.post(base + "/retailers", NEW)) == [("H231", ["tckn"])]


def test_grant_list_and_remove_retailer_access(api, base, brand):
    d1, d2 = factories.RetailerFactory(brand=brand), factories.RetailerFactory(brand=brand)
    for n in (1, 2):
        assert api.post(base + "/consents", consent_body(f"+90530000000{n}")).status_code == 200
    one = {"type": "MESAJ", "recipientType": "BIREYSEL", "recipient": "+905300000001"}
    r = api.post(base + "/consents/retailers/access", dict(one, retailerAccess=[d1.code]))
    assert r.status_code == 200 and r.json()["transactionId"]
    r = api.post(
        base + "/consents/retailers/access", dict(one, recipient="+905300000009", retailerAccess=[d1.code])
    )
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "H401"
    r = api.post(base + "/consents/retailers/access", dict(one, retailerAccess=[99999999]))
    assert r.status_code == 403 and r.json()["errors"][0]["location"] == ["retailerAccess", 0]
    many = {"type": "MESAJ", "recipientType": "BIREYSEL", "recipients": ["+905300000001", "+905300000002"]}
    assert (
        api.call("PUT", base + "/consents/retailers/access", dict(many, retailerAccess=[d2.code])).status_code
        == 202
    )
    assert set(RetailerAccess.objects.values_list("retailer_id", flat=True)) == {d2.pk}
    listed = api.post(
        f"/sps/{brand.provider.iys_code}/brands/{brand.brand_code}/consent/retailers/access/list", one
    )
    assert [row["retailerCode"] for row in listed.json()["list"]] == [d2.code]
    assert (
        api.post(base + "/consents/retailers/access/remove", dict(many, retailerAccess=[d2.code])).status_code
        == 202  # İYS's status for this operation
    )
    assert not RetailerAccess.objects.exists()
    api.call("PUT", base + "/consents/retailers/access", dict(many, retailerAccess=[d1.code, d2.code]))
    assert RetailerAccess.objects.count() == 4
    assert api.post(base + "/consents/retailers/access/remove/all", many).status_code == 202
    assert not RetailerAccess.objects.exists()
    assert (
        api.post(base + "/consents/retailers/access", dict(one, retailerAccess=[])).json()["errors"][0][
            "code"
        ]
        == "H163"
    )
