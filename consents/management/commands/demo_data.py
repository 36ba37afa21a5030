from __future__ import annotations

from importlib import import_module

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from config.demo import BUILDERS, DemoContext
from providers.models import Provider


class Command(BaseCommand):
    help = "Build a believable demo registry (providers, brands, dealers, consents, citizens) and print sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--small", action="store_true", help="A few hundred consents instead of thousands.")

    def handle(self, *args, small: bool = False, **options) -> None:
        if Provider.objects.filter(iys_code=611111).exists():
            self.stdout.write("Demo data is already loaded (`manage.py flush` empties the database). Sign-ins:")
            for ref in BUILDERS:
                module = import_module(ref.split(":")[0])
                if hasattr(module, "signin_lines"):
                    self.stdout.write("\n".join(module.signin_lines()))
        else:
            ctx = DemoContext(small=small)
            lines: list[str] = []
            with transaction.atomic():
                for ref in BUILDERS:
                    module_name, func_name = ref.split(":")
                    lines += getattr(import_module(module_name), func_name)(ctx) or []
            self.stdout.write("\n".join(lines))
        self.stdout.write(self.style.SUCCESS("Demo registry ready: http://127.0.0.1:8000/"))
