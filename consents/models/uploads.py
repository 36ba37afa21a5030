"""Bulk CSV uploads of consents (SPEC §5): the upload record, its per-row refusals, its report."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from providers.models import Brand, Provider

__all__ = ["Upload", "UploadRefusal", "UploadShard", "UploadState"]


class UploadState(models.TextChoices):
    QUEUED = "QUEUED", _("Sırada")
    RUNNING = "RUNNING", _("İşleniyor")
    DONE = "DONE", _("Tamamlandı")
    FAILED = "FAILED", _("Başarısız")


class Upload(models.Model):
    """One CSV file a provider uploaded for one brand, with what processing it did."""

    provider = models.ForeignKey(Provider, verbose_name=_("hizmet sağlayıcı"), on_delete=models.PROTECT, related_name="uploads")
    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("yükleyen"), on_delete=models.PROTECT, related_name="consent_uploads"
    )
    created_at = models.DateTimeField(_("yükleme zamanı"), auto_now_add=True)
    original = models.FileField(_("yüklenen dosya"), upload_to="uploads/original/%Y/%m/")
    original_name = models.CharField(_("dosya adı"), max_length=255)
    size = models.BigIntegerField(_("boyut (bayt)"))
    dry_run = models.BooleanField(_("deneme (kaydetmeden)"), default=False)
    state = models.CharField(_("durum"), max_length=8, choices=UploadState.choices, default=UploadState.QUEUED)
    # Progress: rows and bytes behind the last committed chunk; the total is estimated from bytes.
    rows_processed = models.BigIntegerField(_("İşlenen satır"), default=0)
    rows_estimated = models.BigIntegerField(_("tahmini satır"), default=0)
    bytes_processed = models.BigIntegerField(_("İşlenen bayt"), default=0)
    # The last file line whose chunk is committed: a restarted task resumes after it.
    resume_line = models.BigIntegerField(_("kaldığı satır"), default=0)
    inserted = models.BigIntegerField(_("eklenen"), default=0)
    updated = models.BigIntegerField(_("güncellenen"), default=0)
    unchanged = models.BigIntegerField(_("değişmeyen"), default=0)
    refused = models.BigIntegerField(_("reddedilen"), default=0)
    refusals_by_code = models.JSONField(_("koda göre retler"), default=dict, blank=True)
    report = models.FileField(_("hata raporu"), upload_to="uploads/reports/%Y/%m/", blank=True)
    error_message = models.TextField(_("hata"), blank=True)
    error_message_en = models.TextField(_("İngilizce hata mesajı"), blank=True)
    started_at = models.DateTimeField(_("başlama zamanı"), null=True, blank=True)
    finished_at = models.DateTimeField(_("bitiş"), null=True, blank=True)

    class Meta:
        verbose_name = _("dosya yükleme")
        verbose_name_plural = _("dosya yüklemeleri")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=UploadState.values), name="upload_state_valid"),
            models.CheckConstraint(
                condition=Q(inserted__gte=0, updated__gte=0, unchanged__gte=0, refused__gte=0, size__gte=0),
                name="upload_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["DONE", "FAILED"], finished_at__isnull=False)
                | Q(state__in=["QUEUED", "RUNNING"], finished_at__isnull=True),
                name="upload_finished_iff_final",
            ),
        ]
        indexes = [
            # The portal's upload list of the acting provider, newest first.
            models.Index(fields=["provider", "-created_at"], name="upload_list_of_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (UploadState.DONE, UploadState.FAILED)

    @property
    def error_text(self) -> str:
        """The whole-file error in the active language (both are stored when the upload fails)."""
        if (translation.get_language() or "tr")[:2] == "en" and self.error_message_en:
            return self.error_message_en
        return self.error_message

    @property
    def percent(self) -> int:
        if self.state == UploadState.DONE:
            return 100
        if not self.size:
            return 0
        return min(99, int(self.bytes_processed * 100 / self.size))


class UploadRefusal(models.Model):
    """One refused row of an upload: the rows of the downloadable report."""

    upload = models.ForeignKey(Upload, verbose_name=_("dosya yükleme"), on_delete=models.CASCADE, related_name="refusals")
    line = models.BigIntegerField(_("satır"))
    field = models.CharField(_("alan"), max_length=32, blank=True)
    value = models.CharField(_("değer"), max_length=300, blank=True)
    code = models.CharField(_("kod"), max_length=8)
    params = models.JSONField(_("parametreler"), null=True, blank=True)

    class Meta:
        verbose_name = _("reddedilen satır")
        verbose_name_plural = _("reddedilen satırlar")
        indexes = [
            # The report lists an upload's refusals in file order.
            models.Index(fields=["upload", "line"], name="refusal_report_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}:{self.line} {self.code}"


class UploadShard(models.Model):
    """Progress of one applier connection of an upload (keys are split between connections by hash).

    Each connection commits its chunk together with its own row here, so connections never wait on
    each other; the upload's totals are the sums. `resume_line`: after a crash, rows of this shard up
    to that file line are already applied.
    """

    upload = models.ForeignKey(Upload, verbose_name=_("dosya yükleme"), on_delete=models.CASCADE, related_name="shards")
    shard = models.PositiveSmallIntegerField(_("parça"), )
    resume_line = models.BigIntegerField(_("kaldığı satır"), default=0)
    bytes_processed = models.BigIntegerField(_("İşlenen bayt"), default=0)
    rows_processed = models.BigIntegerField(_("İşlenen satır"), default=0)
    inserted = models.BigIntegerField(_("eklenen"), default=0)
    updated = models.BigIntegerField(_("güncellenen"), default=0)
    unchanged = models.BigIntegerField(_("değişmeyen"), default=0)
    refused = models.BigIntegerField(_("reddedilen"), default=0)
    refusals_by_code = models.JSONField(_("koda göre reddedilenler"), default=dict, blank=True)

    class Meta:
        verbose_name = _("yükleme bölümü")
        verbose_name_plural = _("yükleme bölümleri")
        constraints = [
            models.UniqueConstraint(fields=["upload", "shard"], name="uploadshard_one_per_shard"),
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}/{self.shard} @ {self.resume_line}"
