"""Operators: finalise every declared consent whose review ended, now, in this process."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from consents.review.finalize import due_for_finalisation, finalize_due_reviews


class Command(BaseCommand):
    help = "Finalise declared consents whose citizen review has ended (the same work as the beat task)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=None, help="Consents per transaction.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what is due.")

    def handle(self, *args: Any, chunk_size: int | None, dry_run: bool, **options: Any) -> None:
        if dry_run:
            self.stdout.write(f"due={due_for_finalisation().count()}")
            return
        report = finalize_due_reviews(chunk_size=chunk_size)
        self.stdout.write(
            self.style.SUCCESS(
                f"finalized={report.finalized} chunks={report.chunks} longest_chunk_s={report.longest_chunk_s:.3f}"
            )
        )
