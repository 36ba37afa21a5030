"""What the upload engine hands its appliers: chunks of checked rows, counters and per-shard progress.

Shared by the engine (which fills chunks) and the appliers (`pg_apply`, `row_apply`, which apply them),
so neither has to import the other's module.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from consents.errors import ConsentRuleError
from consents.models import Upload, UploadShard
from consents.rules import Movement, PeriodInfo

VALUE_MAX = 300  # longest value quoted back in a refusal


@dataclass(slots=True)
class Refusal:
    """One refused row, as it goes into the report."""

    line: int
    field: str
    value: str
    code: str
    params: dict[str, Any] | None = None

    @classmethod
    def of(cls, line: int, error: ConsentRuleError) -> Refusal:
        value = "" if error.value is None else str(error.value)[:VALUE_MAX]
        return cls(line, error.field or "", value, error.code, dict(error.params) or None)


@dataclass(slots=True)
class Chunk:
    """A run of file lines: the rows that passed the static rules and those that did not."""

    last_line: int
    bytes_read: int
    rows: int
    valid: list[tuple[int, Movement, int | None]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    # Lines that restate a stored consent as it is (see engine._settle_moot): counted as unchanged.
    moot: list[int] = field(default_factory=list)


@dataclass
class Counters:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    @classmethod
    def of(cls, shard: UploadShard) -> Counters:
        return cls(
            shard.inserted, shard.updated, shard.unchanged, shard.refused,
            dict(shard.refusals_by_code or {}), shard.rows_processed,
        )

    def refuse(self, code: str, n: int = 1) -> None:
        self.refused += n
        self.by_code[code] = self.by_code.get(code, 0) + n


@dataclass(frozen=True)
class UploadContext:
    """What every chunk of one upload shares; computed once per upload."""

    upload: Upload
    now: dt.datetime
    open_period: PeriodInfo | None
    period_deadline: dt.date | None
    retailer_ids: dict[int, int]


def shard_rows(upload: Upload, count: int) -> list[UploadShard]:
    """The upload's progress rows, one per applier connection (created on the first run)."""
    for number in range(count):
        UploadShard.objects.get_or_create(upload=upload, shard=number)
    return list(UploadShard.objects.filter(upload=upload, shard__lt=count).order_by("shard"))


def save_shard(upload: Upload, shard: int, counters: Counters, chunk: Chunk) -> None:
    """A shard's counters and resume point, and the upload's totals, committed in the chunk's transaction.

    The totals go with the chunk so that the progress page is right at every moment, also after a worker died
    between two chunks (it showed the chunk before, or 0 after the first) and the instant a new worker resumes.
    The upload row is locked only while the chunk commits; shards lock their own row first, then the upload's,
    always in that order."""
    UploadShard.objects.filter(upload=upload, shard=shard).update(
        resume_line=chunk.last_line,
        bytes_processed=min(chunk.bytes_read, upload.size),
        rows_processed=counters.rows,
        inserted=counters.inserted,
        updated=counters.updated,
        unchanged=counters.unchanged,
        refused=counters.refused,
        refusals_by_code=counters.by_code,
    )
    refresh_totals(upload)


def refresh_totals(upload: Upload) -> None:
    """Sum the shards into the upload's own fields (what the progress bar and the summary read)."""
    with transaction.atomic(savepoint=False):
        # Lock the upload row before reading the shards: two shards committing at once would otherwise each
        # read the other's row as it was before, and the later writer would store the older sums.
        Upload.objects.select_for_update().filter(pk=upload.pk).values_list("pk").first()
        _store_totals(upload, list(UploadShard.objects.filter(upload=upload)))


def _store_totals(upload: Upload, shards: list[UploadShard]) -> None:
    if not shards:
        return
    by_code: dict[str, int] = {}
    for shard in shards:
        for code, n in (shard.refusals_by_code or {}).items():
            by_code[code] = by_code.get(code, 0) + n
    rows = sum(s.rows_processed for s in shards)
    done_bytes = min(s.bytes_processed for s in shards)
    estimated = rows
    if upload.size and 0 < done_bytes < upload.size:
        estimated = int(rows * upload.size / done_bytes)
    Upload.objects.filter(pk=upload.pk).update(
        rows_processed=rows,
        rows_estimated=estimated,
        bytes_processed=done_bytes,
        resume_line=min(s.resume_line for s in shards),
        inserted=sum(s.inserted for s in shards),
        updated=sum(s.updated for s in shards),
        unchanged=sum(s.unchanged for s in shards),
        refused=sum(s.refused for s in shards),
        refusals_by_code=by_code,
    )
