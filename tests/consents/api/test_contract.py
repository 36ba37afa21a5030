"""Contract tests against the official İYS API description (reference/iys-openapi-3.2.0.json).

Every implemented operation replays the official request examples and its answers are validated
against the official response schemas. The official document contradicts itself in a few places;
the patches below follow its examples (what İYS actually sends) and say why.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from consents.models import Consent
from providers.models import Retailer
from tests import factories
from tests.consents.api.support import (  # noqa: F401 - external_receiver is a fixture
    ApiClient,
    client_for,
    external_receiver,
    make_api_user,
    official,
)

pytestmark = pytest.mark.django_db

IMPLEMENTED = [
    ("post", "/oauth2/token"),
    ("get", "/sps/{iysCode}/brands"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents"),
    ("post", "/v2/sps/{iysCode}/brands/{brandCode}/consents"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents/request"),
    ("post", "/v2/sps/{iysCode}/brands/{brandCode}/consents/request"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/consents/request/{requestId}"),
    ("get", "/v2/sps/{iysCode}/brands/{brandCode}/consents/request/{requestId}"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents/status"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents/{recipientType}/status/{type}"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents/history"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/consents/changes"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/retailers"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/retailers"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/retailers/{retailerCode}"),
    ("delete", "/sps/{iysCode}/brands/{brandCode}/retailers/{retailerCode}"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents/retailers/access"),
    ("put", "/sps/{iysCode}/brands/{brandCode}/consents/retailers/access"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consent/retailers/access/list"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents/retailers/access/remove"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/consents/retailers/access/remove/all"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/push/registration"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/push/registration"),
    ("post", "/sps/{iysCode}/brands/{brandCode}/push/unregistration"),
    ("get", "/integrator/{integratorCode}/sps"),
    ("get", "/info/city"),
    ("get", "/info/city/{code}"),
    ("get", "/info/town"),
    ("get", "/info/town/{code}"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/agreements/{reportDate}"),
    ("put", "/sps/{iysCode}/brands/{brandCode}/agreements/{reportDate}"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/agreements/{reportDate}/timestamp"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/changes/{reportDate}/file"),
    ("get", "/sps/{iysCode}/brands/{brandCode}/changes/{reportDate}/recipients/{recipientType}"),
]

# --- The official schemas, resolved and patched -------------------------------------------------

_ITEM_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "location": {"type": "array"},
            "index": {"type": "integer"},
        },
        "required": ["code", "message"],
    },
}


def _resolve(node: Any, doc: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(_patched_component(node["$ref"], target), doc)
        return {
            k: _resolve(v, doc) for k, v in node.items() if k not in ("example", "examples", "x-examples")
        }
    if isinstance(node, list):
        return [_resolve(v, doc) for v in node]
    return node


def _patched_component(ref: str, schema: dict) -> dict:
    name = ref.rsplit("/", 1)[-1]
    schema = copy.deepcopy(schema)
    if name == "BrandStats":
        # Declared as an array of arrays; every example (and İYS) sends one object.
        return {
            "type": "object",
            "properties": {
                "consents": {
                    "type": "object",
                    "properties": {n: {"type": "integer"} for n in ("approval", "rejection", "total")},
                },
                "retailers": {"type": "object", "properties": {"total": {"type": "integer"}}},
            },
        }
    if name == "Code-Name":
        schema["properties"]["code"] = {"type": ["integer", "string"]}  # examples send "34"
    if name in ("InvalidError", "ConsentError"):
        # `value` is typed string, but the examples echo lists and numbers as they were sent.
        props = schema.get("properties", {})
        target = props.get("errors", {}).get("items", {}).get("properties", props)
        target.pop("value", None)
    if name == "RetailerSearchwithcurrentPAge":
        # `list` references one retailer object; the examples (and İYS) send a list of them.
        schema["properties"]["list"] = {"type": "array", "items": schema["properties"]["list"]}
    if name == "InvalidErrorFor422":
        # `errors` references one error object; every example is a list of them.
        return {"type": "object", "properties": {"errors": _ITEM_ERRORS}, "required": ["errors"]}
    return schema


def response_schema(method: str, path: str, status: int) -> dict | None:
    doc = official()
    responses = doc["paths"][path][method]["responses"]
    spec = responses.get(str(status))
    if spec is None:
        return None
    content = (spec.get("content") or {}).get("application/json")
    if not content or "schema" not in content:
        return None
    schema = _resolve(content["schema"], doc)
    if (method, path) == ("get", "/sps/{iysCode}/brands") and status == 200:
        schema = {"type": "array", "items": schema}  # the schema describes one brand; İYS sends a list
    return schema


def assert_official(method: str, path: str, response) -> Any:
    """The response's status is documented for the operation and its body validates against it."""
    doc_responses = official()["paths"][path][method]["responses"]
    status = response.status_code
    assert str(status) in doc_responses or status in (401, 403, 404, 413, 429), (
        f"{status} undocumented for {method} {path}"
    )
    if status == 204:
        return None
    body = response.json()
    schema = response_schema(method, path, status)
    if status >= 400:
        # Every error, whatever the operation documents, is İYS's {"errors": [...]} list (or OAuth's shape).
        if path == "/oauth2/token" and status == 400:
            assert set(body) == {"error", "error_description"}
        else:
            jsonschema.validate(
                body, {"type": "object", "properties": {"errors": _ITEM_ERRORS}, "required": ["errors"]}
            )
    if schema is not None:
        jsonschema.Draft7Validator(schema).validate(body)
    return body


def request_examples(method: str, path: str, content_type: str = "application/json") -> dict[str, Any]:
    body = official()["paths"][path][method].get("requestBody") or {}
    examples = ((body.get("content") or {}).get(content_type) or {}).get("examples") or {}
    return {name: ex["value"] for name, ex in examples.items()}


# --- Fixtures: a provider whose codes match the examples -----------------------------------------

EXAMPLE_RETAILERS = [
    55550127,
    58795354,
    30143398,
    66438915,
    71007289,
    12313344,
    23456677,
    12321144,
    23408865,
    12389900,
    23465544,
]


@pytest.fixture
def world(provider, brand):
    # The examples carry consent dates of 2018–2020: an open declaration period accepts them (beyan).
    factories.DeclarationPeriodFactory(tier=provider.tier)
    for code in EXAMPLE_RETAILERS:
        factories.RetailerFactory(brand=brand, code=code)
    api = client_for(make_api_user(provider=provider))
    return api, provider, brand


def url(path: str, provider, brand, **params: Any) -> str:
    out = path.replace("{iysCode}", str(provider.iys_code)).replace("{brandCode}", str(brand.brand_code))
    for key, value in params.items():
        out = out.replace("{" + key + "}", str(value))
    return out


def test_every_implemented_operation_exists_in_the_official_document_and_ours():
    ours = json.loads(ApiClient().client.get("/api/openapi.json").content)["paths"]
    for method, path in IMPLEMENTED:
        assert method in official()["paths"][path], (method, path)
        assert method in ours["/api" + path], (method, path)


def test_token_examples(provider):
    user = make_api_user(provider=provider, username="mehmetyilmaz@sirketepostam.com")
    user.set_password("****")
    user.save()
    path = "/oauth2/token"
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        for name, example in request_examples("post", path, content_type).items():
            client = ApiClient().client
            if content_type == "application/json":
                r = client.post("/api" + path, data=json.dumps(example), content_type=content_type)
            else:
                r = client.post("/api" + path, data=example)
            body = assert_official("post", path, r)
            if example["grant_type"] == "password":
                assert r.status_code == 200 and body["token_type"] == "bearer", name
            else:  # the example's refresh token is not one of ours
                assert r.status_code == 400 and body["error"] == "invalid_grant", name


def test_consent_examples_single_v2_batch_and_batch_status(world, django_capture_on_commit_callbacks):
    api, provider, brand = world
    for path in (
        "/sps/{iysCode}/brands/{brandCode}/consents",
        "/v2/sps/{iysCode}/brands/{brandCode}/consents",
    ):
        for name, example in request_examples("post", path).items():
            target = url(path, provider, brand)
            if path.startswith("/v2"):
                example = dict(example, recipient="v2-" + example["recipient"])
            r = api.post(target, example)
            body = assert_official("post", path, r)
            assert r.status_code == 200, (name, body)
            if path.startswith("/v2"):
                again = api.post(target, example)
                assert assert_official("post", path, again) == body
    for version, path in (
        (1, "/sps/{iysCode}/brands/{brandCode}/consents/request"),
        (2, "/v2/sps/{iysCode}/brands/{brandCode}/consents/request"),
    ):
        for name, example in request_examples("post", path).items():
            with django_capture_on_commit_callbacks(execute=True):
                r = api.post(url(path, provider, brand), example)
            body = assert_official("post", path, r)
            assert r.status_code == 202 and len(body["subRequests"]) == len(example), name
            status_path = path + "/{requestId}"
            s = api.get(url(status_path, provider, brand, requestId=body["requestId"]))
            rows = assert_official("get", status_path, s)
            assert [row["status"] for row in rows] == ["success"] * len(example), rows
    assert Consent.objects.filter(recipient="+905311333449", retailer__code=66438915).exists()


def test_status_history_and_changes_examples(world):
    api, provider, brand = world
    for recipient, channel in (
        ("ornekeposta@ornekeposta.com", "EPOSTA"),
        ("+905311333449", "ARAMA"),
        ("+905311333449", "MESAJ"),
        ("+905055566790", "MESAJ"),
    ):
        r = api.post(
            url("/sps/{iysCode}/brands/{brandCode}/consents", provider, brand),
            {
                "consentDate": "2020-07-08 07:07:07",
                "source": "HS_CAGRI_MERKEZI",
                "recipient": recipient,
                "recipientType": "BIREYSEL",
                "status": "ONAY",
                "type": channel,
            },
        )
        assert r.status_code == 200, r.content
    path = "/sps/{iysCode}/brands/{brandCode}/consents/status"
    for name, example in request_examples("post", path).items():
        body = assert_official("post", path, api.post(url(path, provider, brand), example))
        assert body["status"] == "ONAY" and body["recipient"] == example["recipient"], name
    path = "/sps/{iysCode}/brands/{brandCode}/consents/{recipientType}/status/{type}"
    for name, example in request_examples("post", path).items():
        channel = "EPOSTA" if "@" in example["recipients"][0] else "MESAJ"
        r = api.post(url(path, provider, brand, recipientType="BIREYSEL", type=channel), example)
        body = assert_official("post", path, r)
        assert body["list"] == ([example["recipients"][0]] if channel == "EPOSTA" else ["+905055566790"]), (
            name
        )
    path = "/sps/{iysCode}/brands/{brandCode}/consents/history"
    for name, example in request_examples("post", path).items():
        body = assert_official("post", path, api.post(url(path, provider, brand), example))
        assert body["pagination"]["totalCount"] == 1, name
    path = "/sps/{iysCode}/brands/{brandCode}/consents/changes"
    for query in ("?source=HS", "?source=IYS", "?limit=500", ""):
        assert_official("get", path, api.get(url(path, provider, brand) + query))
    path = "/sps/{iysCode}/brands"
    brands = assert_official("get", path, api.get(url(path, provider, brand)))
    assert brands[0]["stats"]["consents"]["approval"] == 4


def test_retailer_examples(world):
    api, provider, brand = world
    path = "/sps/{iysCode}/brands/{brandCode}/retailers"
    for name, example in request_examples("post", path).items():
        body = assert_official("post", path, api.post(url(path, provider, brand), example))
        created = body["retailerCode"]
    assert Retailer.objects.get(code=created).name == "XYZ Ticaret"
    listing = assert_official("get", path, api.get(url(path, provider, brand) + "?offset=0&limit=5"))
    assert listing["pagination"]["totalCount"] == len(EXAMPLE_RETAILERS) + 1
    one = "/sps/{iysCode}/brands/{brandCode}/retailers/{retailerCode}"
    assert (
        assert_official("get", one, api.get(url(one, provider, brand, retailerCode=created)))["title"]
        == "XYZ Ticaret"
    )
    assert_official("get", one, api.get(url(one, provider, brand, retailerCode=99999999)))
    assert_official("delete", one, api.call("DELETE", url(one, provider, brand, retailerCode=created)))


def test_retailer_access_examples(world):
    api, provider, brand = world
    for recipient, channel, rtype in (
        ("+905377115251", "MESAJ", "BIREYSEL"),
        ("ornek@adiniz.com", "EPOSTA", "TACIR"),
    ):
        r = api.post(
            url("/sps/{iysCode}/brands/{brandCode}/consents", provider, brand),
            {
                "consentDate": "2020-07-08 07:07:07",
                "source": "HS_WEB",
                "recipient": recipient,
                "recipientType": rtype,
                "status": "ONAY",
                "type": channel,
            },
        )
        assert r.status_code == 200, r.content
    base = "/sps/{iysCode}/brands/{brandCode}/consents/retailers/access"
    for method in ("post", "put"):
        for name, example in request_examples(method, base).items():
            r = api.call(method.upper(), url(base, provider, brand), example)
            assert r.status_code in (200, 202), (name, r.content)
            assert_official(method, base, r)
    path = "/sps/{iysCode}/brands/{brandCode}/consent/retailers/access/list"
    for name, example in request_examples("post", path).items():
        assert_official("post", path, api.post(url(path, provider, brand), example))
    for path in (base + "/remove", base + "/remove/all"):
        for name, example in request_examples("post", path).items():
            r = api.post(url(path, provider, brand), example)
            assert r.status_code in (200, 202), (name, r.content)
            assert_official("post", path, r)


def test_push_examples(world, external_receiver):
    # Registration calls the receiver (İYS's test message) since issue 11: İYS's example host stands in.
    api, provider, brand = world
    path = "/sps/{iysCode}/brands/{brandCode}/push/registration"
    for name, example in request_examples("post", path).items():
        assert_official("post", path, api.post(url(path, provider, brand), example))
    listed = assert_official("get", path, api.get(url(path, provider, brand)))
    assert listed[0]["url"] == "https://push.iys.org.tr/push/api"
    path = "/sps/{iysCode}/brands/{brandCode}/push/unregistration"
    for name, example in request_examples("post", path).items():
        assert assert_official("post", path, api.post(url(path, provider, brand), example)) == {
            "message": "Bağlantı Kaldırıldı"
        }


def test_integrator_listing(world):
    _, provider, brand = world
    intermediary = factories.IntermediaryFactory()
    factories.IntermediaryAuthorizationFactory(intermediary=intermediary, brand=brand, channel="MESAJ")
    api = client_for(make_api_user(intermediary=intermediary))
    path = "/integrator/{integratorCode}/sps"
    body = assert_official("get", path, api.get(path.replace("{integratorCode}", str(intermediary.code))))
    assert body["list"][0]["brandCode"] == brand.brand_code


# --- The official error examples: every one is replayed in test_contract_examples.py ---------------


def test_official_403_and_401_examples(world):
    api, provider, brand = world
    path = "/sps/{iysCode}/brands/{brandCode}/consents/status"
    body = request_examples("post", path)["ConsentDetail"]
    other = factories.BrandFactory()
    r = api.post(url(path, other.provider, other), body)
    assert assert_official("post", path, r) == {
        "errors": [{"code": "H353", "message": "iysCode, kullanıcı izinleriyle eşleştirilemiyor"}]
    }
    r = api.post(url(path, provider, other), body)
    assert (
        assert_official("post", path, r)["errors"][0]["message"]
        == "brandCode, kullanıcı izinleriyle eşleştirilemiyor"
    )
    r = ApiClient("expired").post(url(path, provider, brand), body)
    official_401 = official()["paths"][path]["post"]["responses"]["401"]["content"]["application/json"][
        "examples"
    ]
    assert assert_official("post", path, r) == official_401["missingToken"]["value"]


def test_our_openapi_document_and_docs_page_are_served():
    client = ApiClient().client
    raw = client.get("/api/openapi.json").content
    doc = json.loads(raw)
    assert doc["info"]["title"].startswith("ileti") and "/api/oauth2/token" in doc["paths"]
    # Swagger UI reads the document with a YAML parser, which refuses a key given twice (e.g. 200 and "200").
    repeated: list[str] = []

    def no_repeats(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _ in pairs]
        repeated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    json.loads(raw, object_pairs_hook=no_repeats)
    assert repeated == []
    assert doc["components"]["securitySchemes"]
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"/static/ninja/" in page.content  # no CDN needed


def test_docs_tell_integrators_how_refresh_reuse_and_several_workers_behave():
    description = ApiClient().client.get("/api/openapi.json").json()["info"]["description"]
    # What a reused refresh token does (tests/consents/api/test_auth.py shows it happening)...
    assert "Kullanılmış bir yenileme jetonu yeniden gönderilirse" in description
    assert "bütün canlı jetonları" in description
    # ...and what an integrator with several workers must do about it.
    assert "tek bir jeton sahibi" in description and "Birden çok işçi" in description
