"""The simple path for the embedded SQLite default: each valid row through the single-consent service.

Small files only (SQLite is the development default); PostgreSQL uses `pg_apply`. Duplicate keys
are remembered in a Python set here, for the same reason. One progress row (shard 0).
"""
from __future__ import annotations

from django.db import transaction

from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import UploadRefusal, Via
from consents.rules import Outcome
from consents.services import consent_record
from providers.models import Retailer

from .chunks import Chunk, Counters, Refusal, UploadContext, refresh_totals, save_shard, shard_rows


class RowApplier:
    def __init__(self, context: UploadContext) -> None:
        self.context = context
        self.upload = context.upload
        (row,) = shard_rows(self.upload, 1)
        self.resume_line = row.resume_line
        self.counters = Counters.of(row)
        self.actor = Actor.provider_user(self.upload.uploaded_by)
        self.seen: dict[tuple[str, str, str], int] = {}
        self.retailers = {r.pk: r for r in Retailer.objects.filter(brand=self.upload.brand)}

    def start(self) -> None:
        pass

    def finish(self) -> None:
        refresh_totals(self.upload)

    def close(self) -> None:
        pass

    def submit(self, chunk: Chunk) -> None:
        resume = self.resume_line
        refusals = [r for r in chunk.refusals if r.line > resume]
        moot = sum(1 for line in chunk.moot if line > resume)
        rows = len(refusals) + moot
        fresh = []
        for line, movement, retailer_id in chunk.valid:
            first = self.seen.setdefault(movement.key, line)
            if line <= resume:
                continue  # applied before a restart: only remembered
            rows += 1
            if first != line:
                refusals.append(Refusal(line, "recipient", movement.recipient, "H194", {"first_line": first}))
            else:
                fresh.append((line, movement, retailer_id))
        counters = self.counters
        counters.unchanged += moot
        with transaction.atomic():
            with transaction.atomic():
                for line, m, retailer_id in fresh:
                    try:
                        with transaction.atomic():
                            result = consent_record(
                                brand=self.upload.brand, recipient=m.recipient, recipient_type=m.recipient_type,
                                channel=m.channel, status=m.status, source=m.source, consent_date=m.consent_date,
                                retailer=self.retailers.get(retailer_id) if retailer_id else None,
                                actor=self.actor, via=Via.UPLOAD, allow_unchanged=True, now=self.context.now,
                            )
                    except ConsentRuleError as error:
                        refusals.append(Refusal.of(line, error))
                        continue
                    if result.outcome is Outcome.CREATE:
                        counters.inserted += 1
                    elif result.outcome is Outcome.CHANGE:
                        counters.updated += 1
                    else:
                        counters.unchanged += 1
                if self.upload.dry_run:
                    transaction.set_rollback(True)  # same checks, nothing kept
            refusals.sort(key=lambda r: r.line)
            UploadRefusal.objects.bulk_create(
                UploadRefusal(upload=self.upload, line=r.line, field=r.field, value=r.value, code=r.code,
                              params=r.params)
                for r in refusals
            )
            for refusal in refusals:
                counters.refuse(refusal.code)
            counters.rows += rows
            save_shard(self.upload, 0, counters, chunk)
