"""Service providers, their brands and staff, the dealers/agencies of a brand, and intermediaries."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .deactivation import ActiveFlagQuerySet, AnnouncesDeactivation


class Tier(models.TextChoices):
    # FAQ: providers with more than 150,000 approved addresses declare earlier.
    LARGE = "LARGE", _("Büyük (150.000'den fazla onaylı adres)")
    SMALL = "SMALL", _("Küçük (150.000 ve daha az onaylı adres)")


LARGE_TIER_THRESHOLD = 150_000


def tier_for_count(count: int) -> str:
    """The tier a number of distinct approved addresses puts a provider in (FAQ: more than 150,000 is large)."""
    return Tier.LARGE if count > LARGE_TIER_THRESHOLD else Tier.SMALL


class Channel(models.TextChoices):
    MESAJ = "MESAJ", _("SMS (kısa mesaj)")
    ARAMA = "ARAMA", _("Sesli arama")
    EPOSTA = "EPOSTA", _("E-posta")


class Provider(AnnouncesDeactivation, models.Model):
    name = models.CharField(_("ünvan"), max_length=255)
    iys_code = models.PositiveIntegerField(_("İYS numarası"), unique=True)
    tax_number = models.CharField(
        _("vergi numarası"), max_length=11, blank=True, validators=[RegexValidator(r"^\d{10,11}$")]
    )
    tier = models.CharField(_("kademe"), max_length=8, choices=Tier.choices, default=Tier.SMALL)
    tier_pinned = models.BooleanField(
        _("kademe sabitlendi"), default=False, help_text=_("Operatör kademeyi sabitlediyse sayım değiştirmez.")
    )
    approved_address_count = models.PositiveBigIntegerField(_("onaylı adres sayısı"), default=0)
    tier_counted_at = models.DateTimeField(_("son sayım"), null=True, blank=True)
    is_active = models.BooleanField(_("etkin"), default=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    objects = ActiveFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("hizmet sağlayıcı")
        verbose_name_plural = _("hizmet sağlayıcılar")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="provider_tier_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.iys_code})"


class Brand(models.Model):
    provider = models.ForeignKey(Provider, verbose_name=_("hizmet sağlayıcı"), on_delete=models.PROTECT, related_name="brands")
    name = models.CharField(_("marka adı"), max_length=255)
    brand_code = models.PositiveIntegerField(_("marka kodu"), unique=True)
    is_master = models.BooleanField(
        _("ana marka"), default=False, help_text=_("Hizmet sağlayıcının kendi ünvanıyla açılan ana marka.")
    )
    is_active = models.BooleanField(_("etkin"), default=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("marka")
        verbose_name_plural = _("markalar")
        ordering = ["provider_id", "-is_master", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=Q(is_master=True), name="brand_one_master_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.brand_code})"


class Role(models.TextChoices):
    OWNER = "OWNER", _("Sahip")
    MANAGER = "MANAGER", _("Yönetici")
    OPERATOR = "OPERATOR", _("Operatör")
    VIEWER = "VIEWER", _("İzleyici")


class Membership(models.Model):
    """A user's role at one provider; a user may belong to several providers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("kullanıcı"), on_delete=models.CASCADE, related_name="memberships")
    provider = models.ForeignKey(Provider, verbose_name=_("hizmet sağlayıcı"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rol"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("üyelik")
        verbose_name_plural = _("üyelikler")
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="membership_one_per_user_provider"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider} ({self.role})"

    # Role capabilities live here so views, API and admin ask the same question.
    @property
    def can_write_consents(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER, Role.OPERATOR)

    @property
    def can_manage_brands(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)

    @property
    def can_manage_api_keys(self) -> bool:
        return self.role == Role.OWNER


class RetailerKind(models.TextChoices):
    BAYI = "BAYI", _("Bayi")
    ACENTE = "ACENTE", _("Acente")
    OZEL_YETKILI = "OZEL_YETKILI", _("Özel yetkili işletme")


class Retailer(models.Model):
    """A dealer, agency or exclusive partner of a brand: it shares that brand's consents and no other's."""

    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="retailers")
    code = models.PositiveIntegerField(
        _("bayi kodu"),
        unique=True,
        validators=[MinValueValidator(10_000_000)],
        help_text=_("İYS'nin verdiği 8 haneli bayi numarası."),
    )
    name = models.CharField(_("ünvan"), max_length=255)
    kind = models.CharField(_("tür"), max_length=12, choices=RetailerKind.choices, default=RetailerKind.BAYI)
    alias = models.CharField(_("bayi tanımı"), max_length=255, blank=True)
    tax_number = models.CharField(_("vergi/TC kimlik no"), max_length=11, blank=True)
    # İYS requires the dealer's official (name and TCKN) and its place (İYS's province/district codes).
    contact_name = models.CharField(_("bayi yetkilisi"), max_length=255, blank=True)
    tckn = models.CharField(_("yetkilinin TC kimlik no"), max_length=11, blank=True)
    city_code = models.PositiveSmallIntegerField(_("İl kodu"), null=True, blank=True)
    city = models.CharField(_("İl"), max_length=64, blank=True)
    town_code = models.PositiveSmallIntegerField(_("İlçe kodu"), null=True, blank=True)
    town = models.CharField(_("İlçe"), max_length=64, blank=True)
    mobile = models.CharField(_("cep telefonu"), max_length=16, blank=True)
    # The dealer's own provider account, once that account accepted (RetailerLinkInvitation): its staff then
    # see this brand's consents and act on them as this dealer.
    linked_provider = models.ForeignKey(
        Provider, verbose_name=_("bağlı hizmet sağlayıcı"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retailer_roles",
        help_text=_("Bayinin kendi hizmet sağlayıcı hesabı varsa; bu hesap yalnızca bu markanın izinlerini görür."),
    )
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("bayi / acente")
        verbose_name_plural = _("bayiler / acenteler")
        ordering = ["brand_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__gte=10_000_000) & Q(code__lte=99_999_999), name="retailer_code_8_digits"
            ),
            models.CheckConstraint(condition=Q(kind__in=RetailerKind.values), name="retailer_kind_valid"),
            # İYS H231: one dealer per official's TCKN under a brand.
            models.UniqueConstraint(
                fields=["brand", "tckn"], condition=~Q(tckn=""), name="retailer_one_per_tckn_per_brand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class LinkState(models.TextChoices):
    PENDING = "PENDING", _("Yanıt bekliyor")
    ACCEPTED = "ACCEPTED", _("Kabul edildi")
    DECLINED = "DECLINED", _("Reddedildi")
    WITHDRAWN = "WITHDRAWN", _("Geri çekildi")


class RetailerLinkInvitation(models.Model):
    """A brand's manager asks another provider's account to act as one of its dealers.

    The link (``Retailer.linked_provider``) is set only when an owner or manager of the invited provider
    accepts, so no account is handed another provider's consents, or made to act for a brand, unasked.
    """

    retailer = models.ForeignKey(Retailer, verbose_name=_("bayi"), on_delete=models.CASCADE, related_name="link_invitations")
    provider = models.ForeignKey(Provider, verbose_name=_("hizmet sağlayıcı"), on_delete=models.PROTECT, related_name="dealer_invitations")
    state = models.CharField(_("durum"), max_length=10, choices=LinkState.choices, default=LinkState.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("İsteyen"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("karar veren"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("karar zamanı"), null=True, blank=True)

    class Meta:
        verbose_name = _("bayilik daveti")
        verbose_name_plural = _("bayilik davetleri")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer"], condition=Q(state="PENDING"), name="retailer_link_one_pending"
            ),
            models.CheckConstraint(condition=Q(state__in=LinkState.values), name="retailer_link_state_valid"),
        ]
        indexes = [models.Index(fields=["provider", "state"], name="retailer_link_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.retailer} → {self.provider} ({self.state})"


class Intermediary(AnnouncesDeactivation, models.Model):
    """An SMS, call or e-mail platform (aracı hizmet sağlayıcı) that asks 'may I send?' for brands."""

    name = models.CharField(_("ünvan"), max_length=255)
    code = models.PositiveIntegerField(_("aracı kodu"), unique=True)
    tax_number = models.CharField(_("vergi numarası"), max_length=11, blank=True)
    is_active = models.BooleanField(_("etkin"), default=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    objects = ActiveFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("aracı hizmet sağlayıcı")
        verbose_name_plural = _("aracı hizmet sağlayıcılar")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class IntermediaryAuthorization(models.Model):
    """A brand lets an intermediary query one channel. Revoked rows stay for the audit trail."""

    intermediary = models.ForeignKey(Intermediary, verbose_name=_("aracı"), on_delete=models.PROTECT, related_name="authorizations")
    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="intermediary_authorizations")
    channel = models.CharField(_("kanal"), max_length=6, choices=Channel.choices)
    granted_at = models.DateTimeField(_("yetki verilme zamanı"), auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("yetkiyi veren"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("İptal zamanı"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("İptal eden"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("aracı yetkisi")
        verbose_name_plural = _("aracı yetkileri")
        constraints = [
            models.UniqueConstraint(
                fields=["intermediary", "brand", "channel"],
                condition=Q(revoked_at__isnull=True),
                name="intermediary_auth_one_active",
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="intermediary_auth_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.intermediary} → {self.brand} / {self.channel}"


class ProviderAuditEvent(models.Model):
    """Who changed what in a provider's setup (brands, retailers, authorisations, members)."""

    provider = models.ForeignKey(Provider, verbose_name=_("hizmet sağlayıcı"), on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("İşlemi yapan"), on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(_("İşlemi yapan"), max_length=255, blank=True)
    action = models.CharField(_("İşlem"), max_length=64)
    target = models.CharField(_("hedef"), max_length=255, blank=True)
    detail = models.JSONField(_("ayrıntı"), default=dict, blank=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("kurum denetim kaydı")
        verbose_name_plural = _("kurum denetim kayıtları")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["provider", "-created_at"], name="provaudit_feed_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"
