"""Running totals of the registry for the business dashboard, kept by every write path (consents.counts).

Counting a million consents on each dashboard view costs time linear in the data; these tables hold the
totals, so the dashboard costs the same at ten thousand consents as at a million. Each write path adds its
changes in its own transaction (`consents.counts.add`): the single-consent service, the set-based upload
apply (PostgreSQL and SQLite), the review finaliser; a recount rebuilds them (`consents.counts.recount`).

`slot` spreads the totals of one key over the database sessions that write them: on PostgreSQL each session
adds to its own row (its backend pid), so concurrent writers of one brand never queue on one hot row and
never wait on each other's counter rows (no lock cycles with the consent rows they hold). A periodic task
folds the session rows into slot 0 (`consents.counts.compact`). A total is the sum over its slots.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from providers.models import Brand


class ConsentCount(models.Model):
    """How many consents a brand holds per channel, recipient type, status and review state."""

    brand = models.ForeignKey(
        Brand, verbose_name=_("marka"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    channel = models.CharField(_("kanal"), max_length=6)
    recipient_type = models.CharField(_("alıcı tipi"), max_length=8)
    status = models.CharField(_("durum"), max_length=4)
    # The declaration period of ONAY consents still under citizen review; 0 for every other consent
    # (-1: under review without a period). Pending-review figures are the rows where it is not 0.
    review_period = models.IntegerField(_("İnceleme dönemi"), default=0)
    slot = models.IntegerField(_("oturum"), default=0)
    n = models.BigIntegerField(_("sayı"), default=0)

    class Meta:
        verbose_name = _("İzin sayacı")
        verbose_name_plural = _("İzin sayaçları")
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "channel", "recipient_type", "status", "review_period", "slot"],
                name="consentcount_one_per_key",
            ),
        ]


class MovementCount(models.Model):
    """How many movements (history rows other than finalisations) a brand had per Istanbul day and status."""

    brand = models.ForeignKey(
        Brand, verbose_name=_("marka"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("gün"))
    status = models.CharField(_("durum"), max_length=4)
    by_citizen = models.BooleanField(_("vatandaş"), default=False)
    slot = models.IntegerField(_("oturum"), default=0)
    n = models.BigIntegerField(_("sayı"), default=0)

    class Meta:
        verbose_name = _("hareket sayacı")
        verbose_name_plural = _("hareket sayaçları")
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "day", "status", "by_citizen", "slot"], name="movementcount_one_per_key"
            ),
        ]
