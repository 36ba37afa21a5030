"""The simple path for the embedded SQLite default: each valid row through the single-consent service.

Small files only (SQLite is the development default); PostgreSQL uses `pg_apply`. Duplicate keys
are remembered in a Python set here, for the same reason.
"""
from __future__ import annotations

from django.db import transaction

from providers.models import Retailer

from ..actors import Actor
from ..errors import ConsentRuleError
from ..models import Via
from ..rules import Outcome
from ..services import consent_record
from .engine import Chunk, Counters, Refusal, UploadContext, save_progress


class RowApplier:
    def __init__(self, context: UploadContext, counters: Counters) -> None:
        self.context = context
        self.counters = counters
        self.upload = context.upload
        self.actor = Actor.provider_user(self.upload.uploaded_by)
        self.seen: dict[tuple[str, str, str], int] = {}
        self.retailers = {r.pk: r for r in Retailer.objects.filter(brand=self.upload.brand)}

    def start(self) -> None:
        pass

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass

    def submit(self, chunk: Chunk) -> None:
        refusals = list(chunk.refusals)
        fresh = []
        for line, movement, retailer_id in chunk.valid:
            first = self.seen.setdefault(movement.key, line)
            if first != line:
                refusals.append(Refusal(line, "recipient", movement.recipient, "H194", {"first_line": first}))
            elif not chunk.replay:
                fresh.append((line, movement, retailer_id))
        if chunk.replay:
            return
        counters = self.counters
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
            from ..upload_models import UploadRefusal

            UploadRefusal.objects.bulk_create(
                UploadRefusal(upload=self.upload, line=r.line, field=r.field, value=r.value, code=r.code,
                              params=r.params)
                for r in refusals
            )
            for refusal in refusals:
                counters.refuse(refusal.code)
            counters.rows += chunk.rows
            save_progress(self.upload, counters, chunk)
