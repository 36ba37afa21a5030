from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentsConfig(AppConfig):
    name = "consents"
    verbose_name = _("İzinler")

    def ready(self) -> None:
        # Each capability package owns its admin pages and signal handlers; wiring them here (not from the
        # models or the core admin) keeps imports pointing one way: core <- capabilities <- app wiring.
        from .api import admin as _api_admin  # noqa: F401
        from .api import signals as api_signals
        from .ledger import admin as _ledger_admin  # noqa: F401
        from .review import admin as _review_admin  # noqa: F401
        from .uploads import admin as _uploads_admin  # noqa: F401

        api_signals.connect()

        from django.core import checks

        from config.db_router import check_settings

        checks.register(check_settings)
