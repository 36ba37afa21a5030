"""Every operation of our OpenAPI document, fed hostile input: NUL and other control characters, lone
surrogates, 1 MB strings, deeply nested JSON and wrong types. No answer is a 5xx; text that cannot be stored is
refused with a 4xx naming the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from consents.api.auth import issue_tokens
from tests import factories
from tests.consents.api.support import make_api_user, recent

pytestmark = pytest.mark.django_db

MB_STRING = "x" * (1024 * 1024)
BAD_TEXT = {"nul": "a\x00b", "control": "a\x1bb", "surrogate": "a\ud800b"}
WRONG_TYPES: list[Any] = [12345, 1.5, True, None, [], {}, ["a", 1], {"a": {"b": "c"}}, MB_STRING]
SAMPLES = {
    "recipient": "+905321234567",
    "consentDate": recent(),
    "url": "https://push.example.org/iys",
    "grant_type": "password",
}


@dataclass
class Op:
    method: str
    path: str  # with {placeholders}
    params: list[dict[str, Any]]
    body_schema: dict[str, Any] | None
    form: bool


@pytest.fixture
def world(settings):
    settings.API_RATE_LIMIT_PER_SECOND = 10**9
    settings.API_RATE_LIMIT_PER_ADDRESS_PER_SECOND = 10**9
    settings.API_TOKEN_RATE_LIMIT_PER_HOUR = 10**9
    settings.API_LOGIN_FAILURES_PER_15_MIN = 10**9
    provider = factories.ProviderFactory()
    brand = factories.BrandFactory(provider=provider, is_master=True)
    retailer = factories.RetailerFactory(brand=brand)
    user = make_api_user(provider=provider)
    token = issue_tokens(api_user=user, address="10.9.9.9")["access_token"]
    values = {
        "iysCode": provider.iys_code,
        "brandCode": brand.brand_code,
        "retailerCode": retailer.code,
        "requestId": "abc-123-def",
        "recipientType": "BIREYSEL",
        "type": "MESAJ",
        "integratorCode": 1,
    }
    # An unexpected exception becomes the 500 a real client would see, listed with the others.
    client = Client(REMOTE_ADDR="10.9.9.9", HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
    return client, values


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _resolve(options[0], doc)
    return schema


def sample(schema: dict[str, Any], doc: dict[str, Any], name: str = "") -> Any:
    """A plausible value for the schema: the base every hostile variant starts from."""
    schema = _resolve(schema, doc)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {key: sample(sub, doc, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample(schema.get("items", {}), doc, name)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    return SAMPLES.get(name, "abc")


def operations(doc: dict[str, Any]) -> list[Op]:
    ops = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", content.get("application/x-www-form-urlencoded"))
            ops.append(
                Op(
                    method.upper(),
                    path,
                    op.get("parameters", []),
                    body["schema"] if body else None,
                    "application/json" not in content and bool(content),
                )
            )
    return ops


def leaves(value: Any, at: tuple = ()) -> Iterator[tuple]:
    """Every position in a sample body (objects' keys, lists' first item), the whole body first."""
    yield at
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*at, key))
    elif isinstance(value, list) and value:
        yield from leaves(value[0], (*at, 0))


def replaced(value: Any, at: tuple, new: Any) -> Any:
    if not at:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in at[:-1]:
        target = target[step]
    target[at[-1]] = new
    return copy


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@dataclass
class Case:
    label: str
    path_values: dict[str, Any]
    query: dict[str, Any]
    body: bytes | None
    bad_text_at: tuple | None = None  # where unstorable text was put (must be refused)


def cases(op: Op, doc: dict[str, Any], values: dict[str, Any]) -> Iterator[Case]:
    path_names = [p["name"] for p in op.params if p["in"] == "path"]
    query_names = [p["name"] for p in op.params if p["in"] == "query"]
    base_path = {name: values.get(name, 34) for name in path_names}
    base_body = sample(op.body_schema, doc) if op.body_schema else None
    encoded = json.dumps(base_body).encode() if base_body is not None else None
    # A lone surrogate cannot travel in a URL: percent-encoded, it arrives as U+FFFD (harmless text).
    url_bad = {label: text for label, text in BAD_TEXT.items() if label != "surrogate"}
    for name in path_names:
        for label, text in BAD_TEXT.items():
            yield Case(f"path {name} {label}", {**base_path, name: text}, {}, encoded,
                       ("path", name) if label in url_bad else None)
        yield Case(f"path {name} 1MB", {**base_path, name: MB_STRING}, {}, encoded)
    for name in query_names:
        for label, text in BAD_TEXT.items():
            yield Case(f"query {name} {label}", base_path, {name: text}, encoded,
                       ("query", name) if label in url_bad else None)
        for wrong in ("abc", "-1", "1e309", MB_STRING):
            yield Case(f"query {name} {wrong[:10]}", base_path, {name: wrong}, encoded)
    if base_body is None:
        return
    for at in leaves(base_body):
        for label, text in BAD_TEXT.items():
            yield Case(f"body {at} {label}", base_path, {}, json.dumps(replaced(base_body, at, text)).encode(),
                       ("body", *at) if at else None)
        for wrong in WRONG_TYPES:
            yield Case(f"body {at} {type(wrong).__name__}", base_path, {},
                       json.dumps(replaced(base_body, at, wrong)).encode())
    if isinstance(base_body, dict):
        yield Case("body key nul", base_path, {}, json.dumps({**base_body, "x\x00": 1}).encode(),
                   ("body", "x\ufffd"))
    for levels in (40, 5_000, 200_000):
        yield Case(f"body nested {levels}", base_path, {}, deep(levels))
    yield Case("body raw invalid utf-8", base_path, {}, b'{"a": "\xed\xa0\x80\xff"}')
    yield Case("body not json", base_path, {}, b"{not json")


def send(client: Client, op: Op, case: Case):
    path = op.path
    for name, value in case.path_values.items():
        path = path.replace("{" + name + "}", quote(str(value), safe="", errors="surrogatepass"))
    if case.query:
        path += "?" + urlencode(case.query, encoding="utf-8", errors="surrogatepass")
    if case.body is None:
        return client.generic(op.method, path)
    if op.form:
        form = json.loads(case.body) if case.body.startswith(b"{") else None
        if isinstance(form, dict) and all(isinstance(v, str) for v in form.values()):
            data = urlencode(form, encoding="utf-8", errors="surrogatepass").encode()
            return client.generic(op.method, path, data, content_type="application/x-www-form-urlencoded")
    return client.generic(op.method, path, case.body, content_type="application/json")


def test_no_operation_answers_hostile_input_with_a_server_error(world):
    client, values = world
    doc = Client().get("/api/openapi.json").json()
    ops = operations(doc)
    assert len(ops) >= 25  # every documented operation takes part
    failures = []
    sent = 0
    for op in ops:
        for case in cases(op, doc, values):
            response = send(client, op, case)
            sent += 1
            status = response.status_code
            where = f"{op.method} {op.path} [{case.label}] -> {status}"
            if status >= 500:
                failures.append(f"{where}: {response.content[:300]!r}")
                continue
            if case.bad_text_at is None:
                continue
            if not 400 <= status < 500:
                failures.append(f"{where}: unstorable text accepted")
                continue
            body = response.json()
            if "error" in body:  # the token endpoint answers in OAuth's shape, like İYS
                continue
            field = next((s for s in reversed(case.bad_text_at[1:]) if isinstance(s, str)), None)
            position = case.bad_text_at[1:2]
            if field is None and position and isinstance(position[0], int):
                # A whole batch item replaced by text: the error names the item by its index.
                named = any(e.get("index") == position[0] for e in body["errors"])
            else:
                named = any(field in map(str, e.get("location", [])) for e in body["errors"]) if field else True
            # A control character in an integer path segment never reaches the API: the URL does not resolve.
            if not named and not (status == 404 and case.bad_text_at[0] == "path"):
                failures.append(f"{where}: no error names {field!r}: {body}")
    assert sent > 1000
    assert not failures, "\n".join(failures[:40])
