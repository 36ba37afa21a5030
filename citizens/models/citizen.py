"""Citizens (recipients), the addresses they proved they own, one-time codes and the dev outbox.

A citizen is deliberately NOT a Django auth user: staff and provider users sign in with passwords,
citizens only with one-time codes, and the two sessions must never be confused. The citizen's id
lives in the session under CITIZEN_SESSION_KEY (see citizens/auth.py).
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AddressKind(models.TextChoices):
    PHONE = "phone", _("Telefon")
    EMAIL = "email", _("E-posta")


class Citizen(models.Model):
    created_at = models.DateTimeField(_("oluşturulma"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("son giriş"), null=True, blank=True)
    is_active = models.BooleanField(_("etkin"), default=True)

    class Meta:
        verbose_name = _("vatandaş")
        verbose_name_plural = _("vatandaşlar")

    def __str__(self) -> str:
        return _("Vatandaş #%(number)s") % {"number": self.pk}

    @property
    def label(self) -> str:
        """What history rows record as the actor's name (never an address: it may change hands)."""
        return _("Vatandaş #%(number)s") % {"number": self.pk}


class CitizenAddress(models.Model):
    """A citizen's claim on a phone number or e-mail address, proven by a one-time code.

    Only active claims (verified, not released) give access to the consents of the address.
    """

    citizen = models.ForeignKey(Citizen, verbose_name=_("vatandaş"), on_delete=models.CASCADE, related_name="addresses")
    value = models.CharField(_("adres"), max_length=265, help_text=_("Normalleştirilmiş telefon (E.164) veya e-posta."))
    kind = models.CharField(_("tür"), max_length=5, choices=AddressKind.choices)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)
    verified_at = models.DateTimeField(_("doğrulanma"), null=True, blank=True)
    released_at = models.DateTimeField(_("bırakılma"), null=True, blank=True)

    class Meta:
        verbose_name = _("vatandaş adresi")
        verbose_name_plural = _("vatandaş adresleri")
        ordering = ["kind", "value"]
        constraints = [
            # One owner at a time: a second citizen must prove the address, which releases the first claim.
            models.UniqueConstraint(
                fields=["value"],
                condition=Q(verified_at__isnull=False, released_at__isnull=True),
                name="citizenaddress_one_active_claim",
            ),
            models.CheckConstraint(condition=Q(kind__in=AddressKind.values), name="citizenaddress_kind_valid"),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(verified_at__isnull=False),
                name="citizenaddress_released_only_if_verified",
            ),
        ]
        indexes = [
            # The portal loads a citizen's active addresses on every page.
            models.Index(
                fields=["citizen"],
                condition=Q(verified_at__isnull=False, released_at__isnull=True),
                name="citizenaddress_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.value

    @property
    def is_active(self) -> bool:
        return self.verified_at is not None and self.released_at is None


class OtpPurpose(models.TextChoices):
    SIGN_IN = "SIGN_IN", _("Giriş")
    ADD_ADDRESS = "ADD_ADDRESS", _("Adres ekleme")
    OPTOUT = "OPTOUT", _("Hesapsız ret")


class OneTimeCode(models.Model):
    """A 6-digit code sent to an address. Only an HMAC of the code is stored (citizens/otp.py)."""

    purpose = models.CharField(_("amaç"), max_length=16, choices=OtpPurpose.choices)
    address = models.CharField(_("adres"), max_length=265)
    code_hash = models.CharField(_("kod özeti"), max_length=128)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)
    expires_at = models.DateTimeField(_("geçerlilik sonu"))
    attempts = models.PositiveSmallIntegerField(_("hatalı deneme"), default=0)
    used_at = models.DateTimeField(_("kullanıldı"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("İstemci adresi"), null=True, blank=True)

    class Meta:
        verbose_name = _("tek kullanımlık kod")
        verbose_name_plural = _("tek kullanımlık kodlar")
        ordering = ["-id"]
        indexes = [
            # otp_verify looks up the newest code of an address for one purpose.
            models.Index(fields=["address", "purpose", "-id"], name="otp_latest_for_address_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.address} {self.created_at:%Y-%m-%d %H:%M}"


class AddressClaimAction(models.TextChoices):
    CLAIM = "CLAIM", _("Sahiplenme")
    RELEASE = "RELEASE", _("Bırakma")


class AddressClaimEvent(models.Model):
    """Append-only history of who claimed or released which address, and why."""

    value = models.CharField(_("adres"), max_length=265)
    kind = models.CharField(_("tür"), max_length=5, choices=AddressKind.choices)
    action = models.CharField(_("İşlem"), max_length=8, choices=AddressClaimAction.choices)
    citizen = models.ForeignKey(Citizen, verbose_name=_("vatandaş"), on_delete=models.PROTECT, related_name="claim_events")
    # For a release caused by another citizen proving the address: who took it over.
    other_citizen = models.ForeignKey(
        Citizen, verbose_name=_("diğer vatandaş"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("neden"), max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(_("İstemci adresi"), null=True, blank=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("adres sahiplik hareketi")
        verbose_name_plural = _("adres sahiplik hareketleri")
        ordering = ["-id"]
        indexes = [models.Index(fields=["value", "id"], name="claimevent_by_address_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.value} → #{self.citizen_id}"


class DevMessage(models.Model):
    """Outgoing SMS/e-mail recorded for the development outbox page (only written when DEBUG is on)."""

    kind = models.CharField(_("tür"), max_length=5, choices=[("sms", "SMS"), ("email", _("E-posta"))])
    to = models.CharField(_("alıcı"), max_length=300)
    subject = models.CharField(_("konu"), max_length=300, blank=True)
    body = models.TextField(_("metin"), )
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("geliştirici giden ileti")
        verbose_name_plural = _("geliştirici giden iletiler")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"
