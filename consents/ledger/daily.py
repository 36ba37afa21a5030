"""A brand's day as İYS reconciles it: the day's movement file, its SHA-384, the counts, and the seal.

The day is the Istanbul calendar day of a movement's `created_at` (İYS's creationDate). The file is İYS's CSV:

    creationDate,transactionId,recipient,recipientType,type,status,consentDate,source\\n

then one line per movement in canonical order — creationDate (to the second), then transactionId — with
dates as `YYYY-MM-DD HH:MM:SS` in Turkish time, empty fields for a missing consentDate or source, standard CSV
quoting (only a field with a comma, quote or line break is quoted), each line ending in "\\n" (the file too).
Its SHA-384 (lower-case hex) is İYS's `hashValue`: a business rebuilds the same bytes from its own records
and compares. A review's finalisation is not a movement (İYS has none) and is not in the file.
The day's `seal` is SHA-384(hashValue + "|" + chain head): the file bound to the whole history before it.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator

from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncSecond
from django.utils import timezone

from consents.models import (
    REGISTRY_SOURCES,
    ChainHead,
    ConsentEvent,
    DailyReconciliation,
    EventAction,
    ProcessStatus,
    RecipientType,
    Status,
)
from consents.rules import ISTANBUL
from providers.models import Brand, Channel

from .chain import seal_pending
from .timestamp import make_token

HEADER = ("creationDate", "transactionId", "recipient", "recipientType", "type", "status", "consentDate", "source")
FILE_COLUMNS = ("created_at", "transaction_id", "recipient", "recipient_type", "channel", "status", "consent_date", "source")
KEEP_DAYS = 7  # İYS serves a day for seven days


def istanbul_today() -> dt.date:
    return timezone.now().astimezone(ISTANBUL).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=ISTANBUL)
    return start, start + dt.timedelta(days=1)


def day_events(brand_id: int, day: dt.date, recipient_type: str | None = None) -> QuerySet:
    start, end = day_bounds(day)
    qs = ConsentEvent.objects.filter(brand_id=brand_id, created_at__gte=start, created_at__lt=end).exclude(
        action=EventAction.FINALIZE
    )
    if recipient_type:
        qs = qs.filter(recipient_type=recipient_type)
    return qs


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def file_lines(brand_id: int, day: dt.date) -> Iterator[str]:
    """The day's file, line by line (constant memory: streamed from the database)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values: tuple) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(HEADER)
    rows = (
        day_events(brand_id, day)
        .annotate(second=TruncSecond("created_at"))
        .order_by("second", "transaction_id")
        .values_list(*FILE_COLUMNS)
    )
    for row in rows.iterator(chunk_size=5000):
        yield line(tuple(_text(v) for v in row))


def file_digest(brand_id: int, day: dt.date) -> tuple[str, int]:
    """(SHA-384 hex of the day's file, number of movements)."""
    digest = hashlib.sha384()
    count = -1
    for text in file_lines(brand_id, day):
        digest.update(text.encode())
        count += 1
    return digest.hexdigest(), count


def seal_of(file_hash: str, chain_head: str) -> str:
    return hashlib.sha384((file_hash + "|" + chain_head).encode()).hexdigest()


def day_summary(brand_id: int, day: dt.date, *, now: dt.datetime) -> dict:
    """{recipientType: {channel: {"HS"|"IYS": {approval, rejection, pending, total}}}}.

    approval: ONAY movements; rejection: RET movements; pending: ONAY movements still under the citizen's
    review (declared, review not over); total: their sum. HS counts the business's own movements, IYS the
    citizens' (IYS_* sources)."""
    summary: dict = {
        rt: {ch: {g: dict.fromkeys(("approval", "rejection", "pending", "total"), 0) for g in ("HS", "IYS")}
             for ch in Channel.values}
        for rt in RecipientType.values
    }
    grouped = (
        day_events(brand_id, day)
        .values("recipient_type", "channel", "source", "status", "review_until")
        .annotate(n=Count("id"))
    )
    for g in grouped:
        bucket = summary[g["recipient_type"]][g["channel"]]["IYS" if g["source"] in REGISTRY_SOURCES else "HS"]
        if g["status"] == Status.RET:
            bucket["rejection"] += g["n"]
        elif g["review_until"] is not None and g["review_until"] > now:
            bucket["pending"] += g["n"]
        else:
            bucket["approval"] += g["n"]
        bucket["total"] += g["n"]
    return summary


def brands_with_movements(day: dt.date) -> list[int]:
    start, end = day_bounds(day)
    return list(
        ConsentEvent.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(action=EventAction.FINALIZE)
        .values_list("brand_id", flat=True)
        .distinct()
    )


def build_day(*, brand: Brand | int, day: dt.date) -> DailyReconciliation | None:
    """Build (or rebuild, unless agreed) a brand's day; None when the brand had no movement that day.

    Seals pending history first, so the chain head the day commits to covers every movement of the day."""
    brand_id = brand if isinstance(brand, int) else brand.pk
    seal_pending()
    now = timezone.now()
    file_hash, count = file_digest(brand_id, day)
    if count == 0:
        return None
    summary = day_summary(brand_id, day, now=now)
    with transaction.atomic():
        record, _ = DailyReconciliation.objects.select_for_update().get_or_create(brand_id=brand_id, report_date=day)
        if record.agreed_at is not None and record.status == ProcessStatus.COMPLETED:
            return record  # an agreed day is frozen: what the business agreed to stays on record
        head = ChainHead.objects.filter(brand_id=brand_id).values_list("seq", "hash").first() or (0, "")
        record.status = ProcessStatus.COMPLETED
        record.movements = count
        record.summary = summary
        record.file_hash = file_hash
        record.chain_seq, record.chain_head = head
        record.seal = seal_of(file_hash, head[1])
        record.built_at = now
        # As İYS: every day file gets its time-stamp token when it is made (a rebuild stamps the new hash).
        record.timestamp_token = make_token(file_hash=file_hash, at=now, serial=_serial(record.pk, now))
        record.save()
    return record


def _serial(record_id: int, at: dt.datetime) -> int:
    """A token serial unique per registry: the day's row and the moment it was stamped (RFC 3161 §2.4.2)."""
    return record_id * 10**16 + int(at.timestamp() * 1_000_000)


def timestamp_token(*, record: DailyReconciliation) -> bytes:
    """The day's stored token; a day built before tokens existed is stamped now, once, and keeps that token."""
    if record.timestamp_token:
        return bytes(record.timestamp_token)
    with transaction.atomic():
        locked = DailyReconciliation.objects.select_for_update().get(pk=record.pk)
        if not locked.timestamp_token:
            now = timezone.now()
            locked.timestamp_token = make_token(file_hash=locked.file_hash, at=now, serial=_serial(locked.pk, now))
            locked.save(update_fields=["timestamp_token"])
    record.timestamp_token = locked.timestamp_token
    return bytes(locked.timestamp_token)


def agree(*, record: DailyReconciliation, by: str) -> bool:
    """The business states its own file hashes to the same value (İYS agreementStatus: true). Idempotent."""
    with transaction.atomic():
        locked = DailyReconciliation.objects.select_for_update().get(pk=record.pk)
        if locked.agreed_at is not None or locked.status != ProcessStatus.COMPLETED:
            return False
        locked.agreed_at = timezone.now()
        locked.agreed_by = by[:255]
        locked.save(update_fields=["agreed_at", "agreed_by"])
        record.agreed_at, record.agreed_by = locked.agreed_at, locked.agreed_by
    return True


def within_window(day: dt.date) -> bool:
    """İYS serves the last seven days (not today: a day is built after it ends)."""
    today = istanbul_today()
    return today - dt.timedelta(days=KEEP_DAYS) <= day < today
