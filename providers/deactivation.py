"""Switching something off is announced, whatever path did it, so whatever it vouched for can end at once.

Providers, intermediaries and API users carry `is_active`. Credentials issued under them (API tokens, whose
verified identity is cached for minutes) must end the moment any of them is switched off: by the admin form,
an admin action, `save()`, a service's queryset `update()` or `bulk_update()`. A post_save signal alone
misses the queryset paths, so these models use `ActiveFlagQuerySet` as their manager and
`AnnouncesDeactivation` for `save()`. Both send `deactivated` after the transaction commits (a receiver that
ends tokens before the commit could see them re-cached by a request still reading the old state).

Receivers are connected by the apps that hold such credentials (consents/api/signals.py); this module
knows nothing about them.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.dispatch import Signal

# sender: the model class; pks: list of the primary keys of rows that went from active to inactive.
deactivated = Signal()


def _announce(model: type[models.Model], pks: list[Any], using: str) -> None:
    if pks:
        transaction.on_commit(lambda: deactivated.send(sender=model, pks=pks), using=using)


class ActiveFlagQuerySet(models.QuerySet):
    """`update(is_active=...)` (and `bulk_update`, which calls it) announces the rows it switched off."""

    def update(self, **kwargs: Any) -> int:
        if "is_active" not in kwargs or kwargs["is_active"] is True:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            # The value may be an expression (bulk_update's CASE): look at the rows after the update.
            was_active = list(self.filter(is_active=True).values_list("pk", flat=True))
            rows = super().update(**kwargs)
            now_off = list(
                self.model._base_manager.using(self.db)
                .filter(pk__in=was_active, is_active=False)
                .values_list("pk", flat=True)
            )
            _announce(self.model, now_off, self.db)
        return rows


class AnnouncesDeactivation:
    """Model mixin: `save()` announces a row switched off (a row loaded active, saved inactive)."""

    _loaded_active: bool | None = None

    @classmethod
    def from_db(cls, db: str, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)  # type: ignore[misc]
        instance._loaded_active = getattr(instance, "is_active", None) if "is_active" in field_names else None
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding  # type: ignore[attr-defined]
        update_fields = kwargs.get("update_fields")
        super().save(*args, **kwargs)  # type: ignore[misc]
        if update_fields is not None and "is_active" not in update_fields:
            return
        active = self.is_active  # type: ignore[attr-defined]
        # An instance not loaded from the database (built by hand with a pk) may have been active: announce.
        if not adding and not active and self._loaded_active is not False:
            _announce(type(self), [self.pk], kwargs.get("using") or self._state.db)  # type: ignore[attr-defined]
        self._loaded_active = active
