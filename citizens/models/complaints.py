"""Complaints about messages received without consent, and the snapshot of the registry at that moment.

The snapshot is copied onto the complaint when it is filed (status, source, the history row in force),
so later movements of the consent never change what the complaint says about the moment of the message.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consents.models import RecipientType, Status
from providers.models import Channel

__all__ = ["Complaint", "ComplaintEvent", "ComplaintStatus", "SnapshotStatus"]


class ComplaintStatus(models.TextChoices):
    NEW = "NEW", _("Yeni")
    IN_REVIEW = "IN_REVIEW", _("İnceleniyor")
    RESOLVED = "RESOLVED", _("Sonuçlandı")
    REJECTED = "REJECTED", _("Reddedildi")


class SnapshotStatus(models.TextChoices):
    ONAY = Status.ONAY.value, _("Onay")
    RET = Status.RET.value, _("Ret")
    NO_RECORD = "KAYIT_YOK", _("Kayıt yok")


class Complaint(models.Model):
    citizen = models.ForeignKey("citizens.Citizen", verbose_name=_("vatandaş"), on_delete=models.PROTECT, related_name="complaints")
    # The address at filing time is copied: the citizen may later release it, the complaint must not change.
    address = models.ForeignKey(
        "citizens.CitizenAddress", verbose_name=_("adres"), on_delete=models.SET_NULL, null=True, blank=True, related_name="complaints"
    )
    recipient = models.CharField(_("İletiyi alan adres"), max_length=265)
    # A registered brand, or, for the commonest spam (a sender that never registered), what the citizen saw
    # as the sender: a name ("Ucuz Kredi Hemen"), a short code or a number.
    brand = models.ForeignKey(
        "providers.Brand", verbose_name=_("marka"), on_delete=models.PROTECT, related_name="complaints", null=True, blank=True
    )
    sender_text = models.CharField(_("kayıtlı olmayan gönderici"), max_length=100, blank=True)
    channel = models.CharField(_("kanal"), max_length=6, choices=Channel.choices)
    received_at = models.DateTimeField(_("İletinin alındığı an"))
    message_text = models.TextField(_("İleti metni"), max_length=2000)

    # What the registry said at `received_at` (consents.selectors.consent_status_at).
    snapshot_status = models.CharField(_("o andaki durum"), max_length=9, choices=SnapshotStatus.choices)
    snapshot_recipient_type = models.CharField(
        _("alıcı tipi"), max_length=8, choices=RecipientType.choices, blank=True
    )
    snapshot_source = models.CharField(_("o andaki kaynak"), max_length=32, blank=True)
    snapshot_consent_date = models.DateTimeField(_("o andaki izin tarihi"), null=True, blank=True)
    snapshot_event = models.ForeignKey(
        "consents.ConsentEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("o anda geçerli geçmiş kaydı"),
    )
    snapshot_allowed = models.BooleanField(
        _("o anda gönderim izni vardı"),
        help_text=_("Bireysel alıcıda yalnız ONAY, tacirde RET dışındaki her durum gönderime izin verir."),
    )

    status = models.CharField(
        _("durum"), max_length=9, choices=ComplaintStatus.choices, default=ComplaintStatus.NEW
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("sorumlu operatör"),
    )
    operator_notes = models.TextField(_("operatör notları"), blank=True)
    created_at = models.DateTimeField(_("başvuru zamanı"), default=timezone.now)
    updated_at = models.DateTimeField(_("güncellenme"), default=timezone.now)

    class Meta:
        verbose_name = _("şikâyet")
        verbose_name_plural = _("şikâyetler")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ComplaintStatus.values), name="complaint_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="complaint_channel_valid"),
            models.CheckConstraint(
                condition=Q(snapshot_status__in=SnapshotStatus.values), name="complaint_snapshot_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(brand__isnull=False) | ~Q(sender_text=""), name="complaint_names_a_sender"
            ),
            # A message cannot be complained about before it arrived.
            models.CheckConstraint(condition=Q(received_at__lte=F("created_at")), name="complaint_received_before_filed"),
            # "No record" has no history row; a status does.
            models.CheckConstraint(
                condition=Q(snapshot_status="KAYIT_YOK", snapshot_event__isnull=True)
                | (~Q(snapshot_status="KAYIT_YOK") & Q(snapshot_event__isnull=False)),
                name="complaint_snapshot_event_matches_status",
            ),
        ]
        indexes = [
            # The citizen's own list, newest first.
            models.Index(fields=["citizen", "-created_at"], name="complaint_citizen_list_idx"),
            # The operators' work queue: open complaints by status, oldest first.
            models.Index(fields=["status", "created_at"], name="complaint_queue_idx"),
            # "Complaints about this brand" in the admin and for the provider's record.
            models.Index(fields=["brand", "-created_at"], name="complaint_by_brand_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} — {self.sender_label} {self.channel}"

    @property
    def sender_label(self) -> str:
        return self.brand.name if self.brand_id else self.sender_text


class ComplaintEvent(models.Model):
    """Append-only record of every change to a complaint and who made it."""

    class Action(models.TextChoices):
        FILED = "FILED", _("Başvuru")
        STATUS = "STATUS", _("Durum değişikliği")
        ASSIGN = "ASSIGN", _("Atama")
        NOTE = "NOTE", _("Not")

    complaint = models.ForeignKey(Complaint, verbose_name=_("şikâyet"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("İşlem"), max_length=6, choices=Action.choices)
    from_status = models.CharField(_("önceki durum"), max_length=9, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField(_("yeni durum"), max_length=9, choices=ComplaintStatus.choices, blank=True)
    detail = models.TextField(_("ayrıntı"), blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("İşlemi yapan kullanıcı"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("İşlemi yapan"), max_length=255)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), default=timezone.now)

    class Meta:
        verbose_name = _("şikâyet hareketi")
        verbose_name_plural = _("şikâyet hareketleri")
        ordering = ["id"]
        indexes = [models.Index(fields=["complaint", "id"], name="complaintevent_history_idx")]

    def __str__(self) -> str:
        return f"{self.action} #{self.complaint_id}"
