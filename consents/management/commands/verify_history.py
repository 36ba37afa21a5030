"""Recompute the consent history's hash chains and the daily seals; name the first broken link.

    manage.py verify_history [--brand BRAND_CODE] [--since YYYY-MM-DD]

Exit status 1 when anything is broken (cron/monitoring can alert on it). See docs/ledger.md.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consents.ledger.chain import link_at, seal_pending, verify_brand
from consents.ledger.daily import day_bounds, file_digest, seal_of
from consents.models import ChainHead, DailyReconciliation, ProcessStatus
from providers.models import Brand

REASONS = {
    "altered": "the row differs from what its link sealed (altered after sealing)",
    "missing": "a link is missing (a row and its link were deleted)",
    "head": "the brand's chain head does not match its last link",
    "version": "the link's chain version is unknown or older than the link before it (re-labelled)",
}


class Command(BaseCommand):
    help = "Verify the tamper-evident consent history (per-brand hash chains and daily reconciliation seals)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brand", type=int, help="brand code (default: every brand)")
        parser.add_argument("--since", type=dt.date.fromisoformat, help="check rows created from this day on")
        parser.add_argument("--no-seal", action="store_true", help="do not seal pending rows first")

    def handle(self, *args: Any, brand: int | None, since: dt.date | None, no_seal: bool, **options: Any) -> None:
        if not no_seal:
            seal_pending()
        brands = ChainHead.objects.values_list("brand_id", flat=True).order_by("brand_id")
        if brand is not None:
            found = Brand.objects.filter(brand_code=brand).values_list("id", flat=True).first()
            if found is None:
                raise CommandError(f"no brand with code {brand}")
            brands = brands.filter(brand_id=found)
        codes = dict(Brand.objects.values_list("id", "brand_code"))
        start = day_bounds(since)[0] if since else None
        problems = 0
        checked = 0
        for brand_id in brands:
            checked += 1
            broken = verify_brand(brand_id, since=start)
            if broken is not None:
                problems += 1
                where = f"event {broken.event_id}, transaction {broken.transaction_id}" if broken.event_id else ""
                self.stdout.write(
                    f"BROKEN brand {codes.get(brand_id, brand_id)}: first broken link #{broken.seq}"
                    f"{' (' + where + ')' if where else ''}: {REASONS[broken.reason]}"
                )
            problems += self._days(brand_id, codes.get(brand_id, brand_id), since)
        if problems:
            raise CommandError(f"{problems} problem(s) in {checked} brand chain(s)", returncode=1)
        self.stdout.write(f"OK: {checked} brand chain(s) and their daily seals verified")

    def _days(self, brand_id: int, code: int, since: dt.date | None) -> int:
        """Each built day: its seal binds its file hash to a real link, and the file still hashes the same."""
        days = DailyReconciliation.objects.filter(brand_id=brand_id, status=ProcessStatus.COMPLETED)
        if since:
            days = days.filter(report_date__gte=since)
        problems = 0
        for day in days.order_by("report_date"):
            if seal_of(day.file_hash, day.chain_head) != day.seal or (
                day.chain_seq and link_at(brand_id, day.chain_seq) != day.chain_head
            ):
                self.stdout.write(f"BROKEN brand {code}: the seal of {day.report_date} does not match its chain head")
                problems += 1
            elif file_digest(brand_id, day.report_date)[0] != day.file_hash:
                self.stdout.write(f"BROKEN brand {code}: the movements of {day.report_date} no longer hash to its file hash")
                problems += 1
        return problems
