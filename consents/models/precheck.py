"""The audit row of a campaign pre-check: who checked which list against which brand and channel, and the
counts. The list itself and the answers are never stored (they are streamed back)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from providers.models import Brand, Channel, Provider

from .consent import RecipientType


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
    rows = models.PositiveIntegerField(_("satır"), default=0)
    allowed = models.PositiveIntegerField(_("gönderilebilir"), default=0)
    refused = models.PositiveIntegerField(_("gönderilemez"), default=0)
    invalid = models.PositiveIntegerField(_("geçersiz adres"), default=0)
    started_at = models.DateTimeField(_("başladı"), auto_now_add=True)
    finished_at = models.DateTimeField(_("bitti"), null=True, blank=True)

    class Meta:
        verbose_name = _("kampanya ön kontrolü")
        verbose_name_plural = _("kampanya ön kontrolleri")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.brand_id} {self.channel} {self.file_name} ({self.rows})"
