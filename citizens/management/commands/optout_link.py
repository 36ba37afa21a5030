"""Print a recipient's signed opt-out link (and the e-mail headers) for a brand.

    manage.py optout_link --brand 700001 --recipient ayse@example.com
    manage.py optout_link --brand 700001 --recipient "0532 123 45 67" --channel MESAJ

Providers' sending systems call citizens.optout.optout_link_for / optout_headers_for directly; this
command is for support staff and for trying a link by hand. Links expire after 90 days.
"""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citizens.optout.services import OPTOUT_LINK_MAX_AGE, optout_headers_for, optout_link_for
from consents.errors import ConsentRuleError
from providers.models import Brand, Channel


class Command(BaseCommand):
    help = "Print a signed per-recipient opt-out link and its List-Unsubscribe headers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brand", type=int, required=True, help="brand code")
        parser.add_argument("--recipient", required=True, help="phone number or e-mail address")
        parser.add_argument(
            "--channel", action="append", choices=Channel.values, help="repeatable; default: every channel of the address"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        brand = Brand.objects.filter(brand_code=options["brand"], is_active=True).first()
        if brand is None:
            raise CommandError(f"no active brand with code {options['brand']}")
        try:
            link = optout_link_for(brand=brand, recipient=options["recipient"], channels=options["channel"])
            headers = optout_headers_for(brand=brand, recipient=options["recipient"], channels=options["channel"])
        except (ConsentRuleError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(link)
        for name, value in headers.items():
            self.stdout.write(f"{name}: {value}")
        self.stdout.write(f"# valid for {OPTOUT_LINK_MAX_AGE.days} days")
