"""Small helpers shared by the API handlers: İYS's date format, path-number bounds, body access."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from consents.rules import ISTANBUL

from .errors import IysError, item

MAX_INT = 2**31 - 1
ERROR_RESPONSES: dict[int, Any] = {}


def fmt(moment: dt.datetime | None) -> str | None:
    """İYS writes dates as 'yyyy-mm-dd hh:mm:ss' in Istanbul time."""
    if moment is None:
        return None
    if timezone.is_naive(moment):  # raw SQL on SQLite returns stored UTC values without tzinfo
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")


def now() -> dt.datetime:
    return timezone.now()


def new_id() -> str:
    return str(uuid.uuid4())


def bounded(value: int, field: str) -> int:
    """Path numbers outside PostgreSQL's integer range can name nothing of the caller's."""
    if not 0 <= value <= MAX_INT:
        raise IysError.of("H353", field=field)
    return value


def page_params(
    limit: Any, offset: Any, *, default_limit: int = 100, max_limit: int = 100
) -> tuple[int, int]:
    """İYS's limit/offset rules (H182/H183/H186/H187), all errors at once."""
    errors = []
    lim, off = default_limit, 0
    # Offset first: İYS lists its errors in that order (PaginationError2).
    if offset not in (None, ""):
        try:
            off = int(offset)
        except (TypeError, ValueError):
            errors.append(("H182", "offset", offset))
        else:
            if off < 0 or off > MAX_INT:
                errors.append(("H182", "offset", offset))
    if limit not in (None, ""):
        try:
            lim = int(limit)
        except (TypeError, ValueError):
            errors.append(("H183", "limit", limit))
        else:
            if lim < 0:
                errors.append(("H183", "limit", limit))
            elif lim == 0:
                errors.append(("H187", "limit", limit))
            elif lim > max_limit:
                errors.append(("H186", "limit", limit))
    if errors:
        raise IysError(422, [item(code, location=[field], value=value) for code, field, value in errors])
    return lim, off


def paged(rows: list[Any], *, offset: int, total: int, **extra: Any) -> dict[str, Any]:
    """İYS's list envelope: the page's rows and their `pagination` block (extra keys, e.g. currentPage)."""
    return {
        "pagination": {"offset": offset, "pageSize": len(rows), "totalCount": total, **extra},
        "list": rows,
    }
