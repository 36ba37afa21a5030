"""Pydantic's validation errors rewritten as İYS error items (field → missing/invalid code)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from .errors import IysError, item, status_of

# field -> (code when missing, code when invalid)
FIELD_CODES: dict[str, tuple[str, str]] = {
    "recipient": ("H114", "H122"),
    "type": ("H111", "H117"),
    "status": ("H110", "H115"),
    "source": ("H113", "H119"),
    "consentDate": ("H112", "H158"),
    "recipientType": ("H170", "H116"),
    "retailerCode": ("H267", "H180"),  # not a number at all: the operation's generic code (below)
    "retailerAccess": ("H169", "H163"),
    "recipients": ("H168", "H478"),
    "url": ("H531", "H531"),
    "username": ("H093", "H093"),
    "password": ("H093", "H093"),
    "title": ("H214", "H214"),
    "iysCode": ("H190", "H190"),
    "brandCode": ("H191", "H191"),
}
LIST_LIMIT_CODES = {"retailerAccess": "H126", "recipients": "H127"}


def generic_code(path: str, method: str = "POST") -> str:
    """İYS's "the request is not valid" code of the operation, for bodies of the wrong shape."""
    if path.endswith("/retailers/access/list"):
        return "H173"
    if "/retailers/access/remove" in path:
        return "H172"
    if "/retailers/access" in path:
        # İYS's examples: H090 for granting access to one consent (POST), H171 for the list (PUT).
        return "H171" if method == "PUT" else "H090"
    if "/consents/request" in path:
        return "H092"
    if path.endswith("/consents"):
        return "H085"
    if "/status" in path or path.endswith("/history"):
        return "H097"
    if path.endswith("/retailers"):
        return "H016"
    return "H014"


def _field_of(loc: tuple[Any, ...]) -> tuple[str | None, int | None, list[Any]]:
    """(field name, batch index, location) from a loc like ('body', 'payload', 3, 'type')."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "path", "query") else list(loc)
    if parts and parts[0] == "payload":
        parts = parts[1:]
    index = None
    if parts and isinstance(parts[0], int):
        index, parts = parts[0], parts[1:]
    names = [p for p in parts if isinstance(p, str)]
    field = names[-1] if names else None
    # Literal errors on a nested list item name the field before the position.
    if parts and isinstance(parts[-1], int) and names:
        field = names[-1]
    return field, index, parts


def _body_shape_wrong(request: HttpRequest, errors: list[dict[str, Any]]) -> bool:
    """A body that is empty, or not the JSON object/array the operation takes, is "not a valid request"."""
    if not any((e.get("loc") or ("",))[0] == "body" for e in errors):
        return False
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return True
    expected = list if "/consents/request" in request.path else dict
    return not isinstance(data, expected) or not data


def iys_validation_error(request: HttpRequest, errors: list[dict[str, Any]]) -> IysError:
    path = request.path
    if _body_shape_wrong(request, errors):
        return IysError.of(generic_code(path, request.method or "POST"))
    items: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    for err in errors:
        loc = tuple(err.get("loc") or ())
        kind = err.get("type", "")
        field, index, location = _field_of(loc)
        if kind == "too_long" and field is None and "/consents/request" in path:
            return IysError.of("H091")
        if kind == "too_long" and field == "recipients" and "/status/" in path:
            return IysError.of("H125", location=["recipients"])
        if kind == "extra_forbidden":
            # İYS: a field the body may not hold (official example OneConsentRequestUnacceptableProperty).
            items.append(item("H118", location=[field], value=err.get("input"), index=index))
            continue
        if field == "status" and path.endswith("/retailers"):
            items.append(item("H201", location=["status"], value=err.get("input")))
            continue
        if field == "retailerCode" and kind in ("int_parsing", "int_type", "int_from_float"):
            if err.get("input") == "":
                items.append(item("H267", index=index))  # İYS's example retailerCodeEmpty: no location
                continue
            # Not a dealer number at all: the request is malformed (not an unknown dealer, 403 H180).
            return IysError.of(generic_code(path, request.method or "POST"))
        if field not in FIELD_CODES:
            if loc and loc[0] == "query":
                items.append(item("H183", location=[str(loc[-1])], value=err.get("input")))
                continue
            code = generic_code(path, request.method or "POST")
            return IysError.of(code)
        missing, invalid = FIELD_CODES[field]
        if kind == "missing":
            code = missing
        elif kind == "too_long" and field in LIST_LIMIT_CODES:
            code = LIST_LIMIT_CODES[field]
        elif kind == "too_short" and field in ("retailerAccess", "recipients"):
            code = "H163" if field == "retailerAccess" else "H164"
        else:
            code = invalid
        key = (index, field, code)
        if key in seen:
            continue
        seen.add(key)
        value = None if kind == "missing" else err.get("input")
        limit = 3000 if path.endswith("/consents") or "/consents/request" in path else 100
        items.append(
            item(
                code,
                location=[str(p) if not isinstance(p, int) else p for p in location] or [field],
                value=value if not isinstance(value, (dict,)) else None,
                index=index,
                limit=limit,
            )
        )
    status = max((status_of(i["code"]) for i in items), default=422)
    if any(status_of(i["code"]) == 422 for i in items):
        status = 422
    return IysError(status, items)
