"""The log of review notifications: one row per (period, citizen, kind), claimed before anything is sent."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .consent import DeclarationPeriod

__all__ = ["NotificationKind", "NotificationState", "ReviewNotification"]


class NotificationKind(models.TextChoices):
    VISIBLE = "VISIBLE", _("Beyanlar görünür oldu")
    REMINDER = "REMINDER", _("İnceleme süresi hatırlatması")


class NotificationState(models.TextChoices):
    PENDING = "PENDING", _("Gönderilecek")
    # Claimed by a worker that is sending it now. A row left here by a crash is NOT sent again
    # automatically (never notify twice); operators see it in the admin.
    SENDING = "SENDING", _("Gönderiliyor")
    SENT = "SENT", _("Gönderildi")
    SKIPPED = "SKIPPED", _("Gerek kalmadı")
    FAILED = "FAILED", _("Gönderilemedi")


class ReviewNotification(models.Model):
    period = models.ForeignKey(DeclarationPeriod, verbose_name=_("beyan dönemi"), on_delete=models.PROTECT, related_name="notifications")
    citizen = models.ForeignKey("citizens.Citizen", verbose_name=_("vatandaş"), on_delete=models.CASCADE, related_name="review_notifications")
    kind = models.CharField(_("tür"), max_length=8, choices=NotificationKind.choices)
    state = models.CharField(
        _("durum"), max_length=8, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    channel = models.CharField(_("kanal"), max_length=5, blank=True, help_text=_("phone veya email"))
    address = models.CharField(_("adres"), max_length=265, blank=True)
    attempts = models.PositiveSmallIntegerField(_("deneme"), default=0)
    last_error = models.TextField(_("son hata"), blank=True)
    created_at = models.DateTimeField(_("oluşturulma"))
    claimed_at = models.DateTimeField(_("alınma"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gönderilme"), null=True, blank=True)

    class Meta:
        verbose_name = _("İnceleme bildirimi")
        verbose_name_plural = _("İnceleme bildirimleri")
        constraints = [
            models.UniqueConstraint(fields=["period", "citizen", "kind"], name="reviewnotification_once"),
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="reviewnotification_kind_valid"),
            models.CheckConstraint(
                condition=Q(state__in=NotificationState.values), name="reviewnotification_state_valid"
            ),
        ]
        indexes = [
            # The dispatcher walks the rows still to send, by id.
            models.Index(fields=["id"], condition=Q(state="PENDING"), name="reviewnotification_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id}/{self.citizen_id} {self.kind} {self.state}"
