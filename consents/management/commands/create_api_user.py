"""manage.py create_api_user --iys-code <N> --username <U> --password <P>
[--intermediary <code>] [--retailer <code>] [--label <text>]
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from consents.api.users import ApiUserError, api_user_create, generate_password
from providers.models import Intermediary, Provider, Retailer


class Command(BaseCommand):
    help = "Create an API user for a provider (or one of its dealers), or for an intermediary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--iys-code", type=int, help="The provider's İYS code.")
        parser.add_argument(
            "--intermediary", type=int, help="An intermediary's code (its user only asks status)."
        )
        parser.add_argument(
            "--retailer", type=int, help="A dealer's 8-digit code: the user acts as that dealer."
        )
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", help="At least 12 characters; generated and printed when omitted.")
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"] or generate_password()
        provider = intermediary = retailer = None
        if opts["intermediary"] is not None:
            intermediary = Intermediary.objects.filter(code=opts["intermediary"]).first()
            if intermediary is None:
                raise CommandError(f"No intermediary with code {opts['intermediary']}.")
        else:
            if opts["iys_code"] is None:
                raise CommandError("Give --iys-code (a provider) or --intermediary.")
            provider = Provider.objects.filter(iys_code=opts["iys_code"]).first()
            if provider is None:
                raise CommandError(f"No provider with İYS code {opts['iys_code']}.")
            if opts["retailer"] is not None:
                retailer = Retailer.objects.select_related("brand").filter(code=opts["retailer"]).first()
                if retailer is None:
                    raise CommandError(f"No dealer with code {opts['retailer']}.")
        try:
            user = api_user_create(
                username=opts["username"],
                password=password,
                provider=provider,
                retailer=retailer,
                intermediary=intermediary,
                label=opts["label"],
            )
        except ApiUserError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"API user {user.username} ({user.get_kind_display()}) created.")
        )
        if not opts["password"]:
            self.stdout.write(f"password: {password}")
