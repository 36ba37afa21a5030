"""İYS's info services (/info/city, /info/town) against the official schemas and examples."""

from __future__ import annotations

import pytest

from tests.consents.api.support import ApiClient, api, api_user, official  # noqa: F401 - fixtures
from tests.consents.api.test_contract import assert_official

pytestmark = pytest.mark.django_db


def _example(path: str) -> object:
    examples = official()["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
    return next(iter(examples.values()))["value"]


def test_city_and_town_lists_are_iys_own(api):
    for path in ("/info/city", "/info/town"):
        body = assert_official("get", path, api.get(path))
        assert body == _example(path)
    assert len(api.get("/info/city").json()) == 81


def test_one_city_and_one_town(api):
    body = assert_official("get", "/info/city/{code}", api.get("/info/city/34"))
    assert body == {"code": 34, "name": "İstanbul"}
    assert assert_official("get", "/info/town/{code}", api.get("/info/town/1")) == _example("/info/town/{code}")
    for path in ("/info/city/82", "/info/town/99999", "/info/city/abc"):
        r = api.get(path)
        assert r.status_code == 204 and r.content == b"", path


def test_info_needs_a_token():
    r = ApiClient().client.get("/api/info/city")
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "H351"


@pytest.mark.parametrize("code", ["²", "٣", "1²"])
def test_codes_in_other_scripts_digits_are_not_found_rather_than_a_server_error(api, code):
    """str.isdigit() accepts superscripts and Arabic-Indic digits that int() refuses (schemathesis found '²')."""
    for path in (f"/info/city/{code}", f"/info/town/{code}"):
        assert api.get(path).status_code == 204, path
