"""The campaign pre-check job: who checked which list against which brand and channel, its progress, the
counts, and the result file while it is kept.

What is stored (decision, docs/uploads.md "Campaign pre-check"): the list itself only while the job runs (the
worker reads it from shared storage; it is deleted when the job ends, success or failure); the result ZIP for
PRECHECK_RESULT_KEEP_HOURS (default 24) or until a member deletes it; this row for good, as the audit of who
checked what. The answers themselves are never stored anywhere else.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from providers.models import Brand, Channel, Provider

from .consent import RecipientType

__all__ = ["CampaignCheck", "CheckState"]


class CheckState(models.TextChoices):
    QUEUED = "QUEUED", _("Sırada")
    RUNNING = "RUNNING", _("İşleniyor")
    DONE = "DONE", _("Tamamlandı")
    FAILED = "FAILED", _("Başarısız")


class CampaignCheck(models.Model):
    provider = models.ForeignKey(
        Provider, verbose_name=_("hizmet sağlayıcı"), on_delete=models.PROTECT, related_name="campaign_checks"
    )
    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("kanal"), max_length=6, choices=Channel.choices)
    recipient_type = models.CharField(_("alıcı tipi"), max_length=8, choices=RecipientType.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("kullanıcı"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(_("dosya"), max_length=255)
    # The requester's language: the worker writes the result's columns and reasons in it.
    language = models.CharField(_("dil"), max_length=8, default="tr")
    state = models.CharField(_("durum"), max_length=8, choices=CheckState.choices, default=CheckState.QUEUED)
    # The list as uploaded, only until the job ends (then the file is deleted and this is emptied).
    source = models.FileField(_("liste (iş bitene kadar)"), upload_to="prechecks/lists/", blank=True)
    size = models.BigIntegerField(_("boyut (bayt)"), default=0)
    rows_estimated = models.BigIntegerField(_("tahmini satır"), default=0)
    rows = models.PositiveIntegerField(_("satır"), default=0)
    allowed = models.PositiveIntegerField(_("gönderilebilir"), default=0)
    refused = models.PositiveIntegerField(_("gönderilemez"), default=0)
    invalid = models.PositiveIntegerField(_("geçersiz adres"), default=0)
    result = models.FileField(_("sonuç dosyası"), upload_to="prechecks/results/", blank=True)
    result_size = models.BigIntegerField(_("sonuç boyutu (bayt)"), default=0)
    result_deleted_at = models.DateTimeField(_("sonuç silindi"), null=True, blank=True)
    # Who deleted the result before it expired; empty with result_deleted_at set = deleted when it expired.
    result_deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sonucu silen"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    error_message = models.TextField(_("hata"), blank=True)
    started_at = models.DateTimeField(_("başladı"), auto_now_add=True)
    # Moves with every progress write: the sweep re-queues a job whose worker went silent.
    updated_at = models.DateTimeField(_("güncelleme zamanı"), auto_now=True)
    finished_at = models.DateTimeField(_("bitti"), null=True, blank=True)

    class Meta:
        verbose_name = _("kampanya ön kontrolü")
        verbose_name_plural = _("kampanya ön kontrolleri")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=CheckState.values), name="campaigncheck_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.channel} {self.file_name} ({self.rows})"

    @property
    def finished(self) -> bool:
        return self.state in (CheckState.DONE, CheckState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == CheckState.DONE:
            return 100
        if not self.rows_estimated:
            return 0
        return min(99, int(100 * self.rows / self.rows_estimated))
