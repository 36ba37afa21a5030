"""The API's edge for text: every value a request carries (path, query, JSON or form body) is checked for
characters text may not hold (config/hygiene.py) before a handler, a query or a JSON column sees it.

The refusal names the field the way İYS does: the code İYS uses for an invalid value of that field where one
exists, otherwise the operation's "the request is not valid" code, with the location and the value (its bad
characters shown as U+FFFD, so the answer itself can always be encoded). Push connections answer H530, as İYS
does for a connection it cannot accept. Bodies nested absurdly deep are refused as malformed JSON instead of
exhausting the parser's recursion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest

from config.hygiene import forbidden_character, printable

from .errors import IysError, item, status_of
from .validation import generic_code

MAX_DEPTH = 32  # İYS bodies are at most four levels deep
MAX_ITEMS = 100  # errors reported per request
ECHO_LIMIT = 200  # characters of an offending value echoed back

# The code İYS gives an invalid value of a text field, where it has one.
INVALID_VALUE: dict[str, str] = {
    "recipient": "H122",
    "recipients": "H122",
    "type": "H117",
    "status": "H115",
    "source": "H119",
    "recipientType": "H116",
    "consentDate": "H157",
    "mobile": "H224",
    "requestId": "H097",
    "iysCode": "H190",
    "brandCode": "H191",
    "after": "ILT410",
    "offset": "H182",
    "limit": "H183",
}
# Creating or updating a retailer: İYS's code of an invalid identity number, tax number or status, and its
# "invalid input" (H016) for the other text fields.
RETAILER_PATH = re.compile(r"/retailers(/\d+)?/?$")
RETAILER_INVALID = {"tckn": "H225", "tin": "H243", "status": "H201"}


class TooDeep(ValueError):
    """The JSON body nests deeper than any İYS request."""


def _code(path: str, field: str, *, in_body: bool) -> str:
    if in_body and "/push/" in path:
        return "H530"
    if in_body and RETAILER_PATH.search(path):
        return RETAILER_INVALID.get(field) or INVALID_VALUE.get(field, "H016")
    return INVALID_VALUE.get(field) or generic_code(path)


def _strings(data: Any) -> Iterator[tuple[bool, list[Any], str]]:
    """(location, text) for every string in a parsed JSON body, keys included; iterative, depth-limited."""
    stack: list[tuple[list[Any], Any]] = [([], data)]
    while stack:
        location, value = stack.pop()
        if len(location) > MAX_DEPTH:
            raise TooDeep
        if isinstance(value, str):
            yield True, location, value
        elif isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and forbidden_character(key):
                    yield True, [*location, key], key
            # Reversed onto the stack: errors come out in the body's own order.
            stack.extend(reversed([([*location, key], child) for key, child in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([([*location, index], child) for index, child in enumerate(value)]))


def _values(request: HttpRequest) -> Iterator[tuple[bool, list[Any], str]]:
    """(in the body?, location, text) of every text value of the request."""
    match = request.resolver_match
    for name, value in (match.kwargs if match else {}).items():
        if isinstance(value, str):
            yield False, [name], value
    for name, values in request.GET.lists():
        yield from ((False, [name], value) for value in values)
    if request.method not in ("POST", "PUT", "PATCH") or not request.body:
        return
    if (request.content_type or "").startswith("application/json"):
        try:
            data = json.loads(request.body)
        except RecursionError:
            raise TooDeep from None
        except (ValueError, UnicodeDecodeError):
            return  # not JSON: the operation answers that in its own words
        yield from _strings(data)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            yield from ((True, [name], value) for value in values)


def refused_text(request: HttpRequest) -> list[tuple[bool, list[Any], str]]:
    """(in the body?, location, value) of every value carrying a forbidden character (at most MAX_ITEMS)."""
    found = []
    for in_body, location, value in _values(request):
        if forbidden_character(value) is not None:
            found.append((in_body, location, value))
            if len(found) >= MAX_ITEMS:
                break
    return found


def _echo(value: str) -> str:
    shown = printable(value)
    return shown if len(shown) <= ECHO_LIMIT else shown[:ECHO_LIMIT] + "…"


def check_request_text(request: HttpRequest) -> None:
    """Raise the İYS-shaped refusal for a request carrying forbidden characters; nothing otherwise."""
    try:
        found = refused_text(request)
    except TooDeep:
        raise IysError.of("H014") from None
    if not found:
        return
    path = request.path
    batch = "/consents/request" in path and request.method == "POST"
    items = []
    for in_body, location, value in found:
        index = None
        if batch and in_body and location and isinstance(location[0], int):
            index, location = location[0], location[1:]
        names = [part for part in location if isinstance(part, str)]
        field = printable(names[-1]) if names else ""
        shown = [printable(p) if isinstance(p, str) else p for p in location]
        code = _code(path, field, in_body=in_body)
        # Our H530 is worded for removal; İYS words it "could not be created" for a registration.
        message = "Bağlantı oluşturulamadı." if code == "H530" and path.endswith("/registration") else None
        items.append(item(code, location=shown or None, value=_echo(value), index=index, message=message))
    statuses = {status_of(entry["code"]) for entry in items}
    raise IysError(422 if 422 in statuses else max(statuses), items)
