"""Messages telling a citizen that a business recorded ONAY over their own rejection (one per history row)."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["OverrideNoticeState", "RejectionOverrideNotice"]


class OverrideNoticeState(models.TextChoices):
    PENDING = "PENDING", _("Gönderilecek")
    SENDING = "SENDING", _("Gönderiliyor")
    SENT = "SENT", _("Gönderildi")
    FAILED = "FAILED", _("Gönderilemedi")


class RejectionOverrideNotice(models.Model):
    # One notice per history row: the unique key is what makes "tell the citizen once" hold across retries,
    # a second worker and the sweep.
    event = models.OneToOneField(
        "consents.ConsentEvent", on_delete=models.PROTECT, related_name="+", verbose_name=_("İzin hareketi")
    )
    address = models.CharField(_("adres"), max_length=265)
    state = models.CharField(
        _("durum"), max_length=8, choices=OverrideNoticeState.choices, default=OverrideNoticeState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("deneme sayısı"), default=0)
    last_error = models.TextField(_("son hata"), blank=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), default=timezone.now)
    claimed_at = models.DateTimeField(_("üstlenilme zamanı"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gönderilme zamanı"), null=True, blank=True)

    class Meta:
        verbose_name = _("ret üzerine onay bildirimi")
        verbose_name_plural = _("ret üzerine onay bildirimleri")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=OverrideNoticeState.values), name="overridenotice_state_valid"),
        ]
        indexes = [
            models.Index(fields=["id"], condition=Q(state="PENDING"), name="overridenotice_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.address} {self.state}"
