"""Tamper-evident history and daily reconciliation (mutabakat).

Every history row (ConsentEvent) gets one HistoryLink: its place (`seq`) in its brand's hash chain and
`hash = SHA-384(previous link's hash + "|" + the row's canonical form)` (consents.ledger.chain). Links are
written by a sealing task after the rows commit, never by the paths that insert history, so the bulk paths pay
nothing per row and concurrent writers never contend for a brand's chain head. The link table is append-only
like the history itself. Each brand's day of movements is summarised in a DailyReconciliation: İYS's counts,
the SHA-384 of the day's file, and the chain head it commits to.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from providers.models import Brand

from .consent import ConsentEvent


class HistoryLink(models.Model):
    """The hash chain entry of one history row (1:1), in the order the sealer appended it to its brand's chain."""

    event = models.OneToOneField(ConsentEvent, verbose_name=_("hareket"), on_delete=models.PROTECT, primary_key=True, related_name="link")
    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    seq = models.PositiveBigIntegerField(_("sıra"), )
    hash = models.CharField(_("özet"), max_length=96)
    sealed_at = models.DateTimeField(_("mühürlenme zamanı"), )
    # Which fields of the row the hash covers (consents.ledger.chain.FIELDS_BY_VERSION): links made before
    # version 2 keep verifying with the fields they were made with.
    version = models.PositiveSmallIntegerField(_("zincir sürümü"), default=2)

    class Meta:
        verbose_name = _("geçmiş zincir halkası")
        verbose_name_plural = _("geçmiş zincir halkaları")
        constraints = [models.UniqueConstraint(fields=["brand", "seq"], name="historylink_one_per_brand_seq")]

    def __str__(self) -> str:
        return f"{self.brand_id}#{self.seq} {self.hash[:12]}…"


class ChainHead(models.Model):
    """The last link of a brand's chain; the sealer locks it while appending."""

    brand = models.OneToOneField(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, primary_key=True, related_name="chain_head")
    seq = models.PositiveBigIntegerField(_("sıra"), default=0)
    hash = models.CharField(_("özet"), max_length=96, blank=True)
    updated_at = models.DateTimeField(_("güncelleme zamanı"), auto_now=True)

    class Meta:
        verbose_name = _("zincir başı")
        verbose_name_plural = _("zincir başları")


class SealState(models.Model):
    """One row: every history row with id <= sealed_through_id has its link (the sealer starts above it)."""

    id = models.PositiveSmallIntegerField(_("kimlik"), primary_key=True, default=1)
    sealed_through_id = models.PositiveBigIntegerField(_("mühürlenen son hareket"), default=0)
    updated_at = models.DateTimeField(_("güncelleme zamanı"), auto_now=True)

    class Meta:
        verbose_name = _("mühür durumu")
        verbose_name_plural = _("mühür durumu")


class ProcessStatus(models.TextChoices):
    QUEUED = "queued", _("Sıraya alındı")
    INPROGRESS = "inprogress", _("Devam ediyor")
    COMPLETED = "completed", _("Tamamlandı")
    ERROR = "error", _("Hata")


class DailyReconciliation(models.Model):
    """A brand's day (Istanbul calendar): İYS's counts, the file's SHA-384 and the chain head it commits to."""

    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="reconciliations")
    report_date = models.DateField(_("gün"))
    status = models.CharField(_("durum"), max_length=10, choices=ProcessStatus.choices, default=ProcessStatus.QUEUED)
    movements = models.PositiveIntegerField(_("hareket"), default=0)
    # {"BIREYSEL"|"TACIR": {"MESAJ": {"HS": {"approval", "rejection", "pending", "total"}, "IYS": {...}}, ...}}
    summary = models.JSONField(_("özet bilgi"), default=dict, blank=True)
    file_hash = models.CharField(_("dosya özeti (SHA-384)"), max_length=96, blank=True)
    chain_seq = models.PositiveBigIntegerField(_("zincir sırası"), null=True, blank=True)
    chain_head = models.CharField(_("zincir başı"), max_length=96, blank=True)
    # SHA-384(file_hash + "|" + chain_head): the day's seal over both the file and the whole history before it.
    seal = models.CharField(_("günün mührü"), max_length=96, blank=True)
    # İYS's `.tsr`: an RFC 3161 TimeStampResp over file_hash, made when the day is built (consents.ledger.timestamp).
    timestamp_token = models.BinaryField(_("zaman damgası (RFC 3161)"), blank=True, default=b"")
    built_at = models.DateTimeField(_("hazırlanma zamanı"), null=True, blank=True)
    agreed_at = models.DateTimeField(_("mutabakat"), null=True, blank=True)
    agreed_by = models.CharField(_("mutabakatı veren"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("günlük mutabakat")
        verbose_name_plural = _("günlük mutabakatlar")
        ordering = ["-report_date", "brand_id"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "report_date"], name="reconciliation_one_per_brand_day"),
            models.CheckConstraint(
                condition=models.Q(status__in=ProcessStatus.values), name="reconciliation_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.report_date} {self.status}"
