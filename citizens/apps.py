from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "citizens"
    verbose_name = _("Vatandaşlar")

    def ready(self) -> None:
        # Django's admin autodiscovery imports only citizens/admin.py; each capability package keeps its own
        # admin module (registering its models on import), so the app imports it here once the registry is
        # ready, instead of citizens/admin.py star-importing capability code.
        from . import signals
        from .complaints import admin as _complaints_admin  # noqa: F401

        signals.connect()
