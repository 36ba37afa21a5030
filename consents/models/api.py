"""Models of the İYS-compatible integration API: API users, hashed tokens, batch requests,
idempotency records of the /v2 twins, and push registrations with their deliveries.

Secrets never live here in clear text except the push endpoint's basic-auth password, which we must
send back to the provider's server (and which doubles as its HMAC signing key); it is never logged.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.deactivation import ActiveFlagQuerySet, AnnouncesDeactivation
from providers.models import Brand, Channel, Intermediary, Provider, Retailer


class ApiUserKind(models.TextChoices):
    PROVIDER = "PROVIDER", _("Hizmet sağlayıcı")
    RETAILER = "RETAILER", _("Bayi/acente")
    INTERMEDIARY = "INTERMEDIARY", _("Aracı hizmet sağlayıcı")


class ApiUser(AnnouncesDeactivation, models.Model):
    """Credentials a provider (or the registry, for an intermediary) issues for API access.

    PROVIDER users act for their provider's brands; RETAILER users act as one dealer of one brand
    (provider = the brand's provider, which created them); INTERMEDIARY users only ask "may I send?"
    for the brands and channels that authorised their intermediary.
    """

    kind = models.CharField(
        _("tür"), max_length=12, choices=ApiUserKind.choices, default=ApiUserKind.PROVIDER
    )
    provider = models.ForeignKey(
        Provider, verbose_name=_("hizmet sağlayıcı"), on_delete=models.PROTECT, null=True, blank=True, related_name="api_users"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("bayi"), on_delete=models.PROTECT, null=True, blank=True, related_name="api_users"
    )
    intermediary = models.ForeignKey(
        Intermediary, verbose_name=_("aracı"), on_delete=models.PROTECT, null=True, blank=True, related_name="api_users"
    )
    username = models.CharField(_("kullanıcı adı"), max_length=150, unique=True)
    password = models.CharField(_("parola özeti"), max_length=128)
    label = models.CharField(_("açıklama"), max_length=255, blank=True)
    is_active = models.BooleanField(_("etkin"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("oluşturan"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("son jeton alma"), null=True, blank=True)
    # CIDRs the user may call from (İYS whitelists integrators' addresses); empty = from anywhere.
    allowed_networks = models.JSONField(_("İzinli IP ağları"), default=list, blank=True)
    # The last health check's figures over the past 24 hours (consents.api.health), for the admin's filter.
    health_requests = models.PositiveIntegerField(_("son 24 saatte istek"), default=0, editable=False)
    health_failures = models.PositiveIntegerField(_("son 24 saatte hatalı istek"), default=0, editable=False)
    health_checked_at = models.DateTimeField(_("sağlık ölçümü"), null=True, blank=True, editable=False)

    objects = ActiveFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("API kullanıcısı")
        verbose_name_plural = _("API kullanıcıları")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ApiUserKind.values), name="apiuser_kind_valid"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="PROVIDER",
                        provider__isnull=False,
                        retailer__isnull=True,
                        intermediary__isnull=True,
                    )
                    | Q(
                        kind="RETAILER",
                        provider__isnull=False,
                        retailer__isnull=False,
                        intermediary__isnull=True,
                    )
                    | Q(
                        kind="INTERMEDIARY",
                        provider__isnull=True,
                        retailer__isnull=True,
                        intermediary__isnull=False,
                    )
                ),
                name="apiuser_owner_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["provider", "username"], name="apiuser_of_provider_idx")]

    def __str__(self) -> str:
        return f"{self.username} ({self.get_kind_display()})"

    @property
    def success_rate(self) -> float | None:
        """Share of the last 24 hours' requests that were not the caller's fault (None without requests)."""
        if not self.health_requests:
            return None
        return 1 - self.health_failures / self.health_requests

    def set_password(self, raw: str) -> None:
        from django.contrib.auth.hashers import make_password

        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        from django.contrib.auth.hashers import check_password

        return check_password(raw, self.password)


class ApiTokenKind(models.TextChoices):
    ACCESS = "ACCESS", _("Erişim jetonu")
    REFRESH = "REFRESH", _("Yenileme jetonu")


class ApiToken(models.Model):
    """An access (2 h) or refresh (4 h) token. Only the SHA-256 of the random secret is stored."""

    api_user = models.ForeignKey(ApiUser, verbose_name=_("API kullanıcısı"), on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(_("tür"), max_length=8, choices=ApiTokenKind.choices)
    token_hash = models.CharField(_("anahtar özeti"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("geçerlilik sonu"), )
    revoked_at = models.DateTimeField(_("İptal zamanı"), null=True, blank=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), default=timezone.now)
    client_address = models.GenericIPAddressField(_("İstemci adresi"), null=True, blank=True)

    class Meta:
        verbose_name = _("API jetonu")
        verbose_name_plural = _("API jetonları")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ApiTokenKind.values), name="apitoken_kind_valid")
        ]
        indexes = [
            # Revoking every live token of a user, and the portal's "active tokens" count.
            models.Index(
                fields=["api_user", "expires_at"],
                condition=Q(revoked_at__isnull=True),
                name="apitoken_live_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.api_user_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class BatchState(models.TextChoices):
    PENDING = "PENDING", _("Kuyrukta")
    PROCESSING = "PROCESSING", _("İşleniyor")
    DONE = "DONE", _("Tamamlandı")


class ApiBatchRequest(models.Model):
    """An asynchronous batch of up to 1,000 consents (İYS consents/request), processed by Celery."""

    request_id = models.CharField(_("İstek numarası"), max_length=36, unique=True)
    version = models.PositiveSmallIntegerField(_("sürüm"), default=1)
    api_user = models.ForeignKey(ApiUser, verbose_name=_("API kullanıcısı"), on_delete=models.PROTECT, related_name="batches")
    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("durum"), max_length=10, choices=BatchState.choices, default=BatchState.PENDING)
    item_count = models.PositiveIntegerField(_("kayıt sayısı"), default=0)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), default=timezone.now)
    finished_at = models.DateTimeField(_("bitiş zamanı"), null=True, blank=True)

    class Meta:
        verbose_name = _("API çoklu izin isteği")
        verbose_name_plural = _("API çoklu izin istekleri")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=BatchState.values), name="apibatch_state_valid"),
            models.CheckConstraint(condition=Q(version__in=[1, 2]), name="apibatch_version_valid"),
        ]
        indexes = [models.Index(fields=["brand", "-created_at"], name="apibatch_of_brand_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} ({self.item_count}, {self.state})"


class BatchItemStatus(models.TextChoices):
    ENQUEUE = "enqueue", _("Kuyrukta")
    SUCCESS = "success", _("Başarılı")
    FAILURE = "failure", _("Başarısız")


class ApiBatchItem(models.Model):
    batch = models.ForeignKey(ApiBatchRequest, verbose_name=_("toplu istek"), on_delete=models.CASCADE, related_name="items")
    index = models.PositiveIntegerField(_("sıra"), )
    sub_request_id = models.CharField(_("alt istek numarası"), max_length=36)
    payload = models.JSONField(_("gönderilen veri"), )
    status = models.CharField(_("durum"), max_length=8, choices=BatchItemStatus.choices, default=BatchItemStatus.ENQUEUE)
    transaction_id = models.CharField(_("İşlem numarası"), max_length=64, blank=True)
    creation_date = models.DateTimeField(_("kayıt tarihi"), null=True, blank=True)
    error_code = models.CharField(_("hata kodu"), max_length=16, blank=True)
    error_message = models.TextField(_("hata mesajı"), blank=True)
    # /v2: a consent re-sent unchanged points at the request that recorded it.
    original_request_id = models.CharField(_("İlk istek numarası"), max_length=36, blank=True)
    original_sub_request_id = models.CharField(_("İlk alt istek numarası"), max_length=36, blank=True)

    class Meta:
        verbose_name = _("API çoklu izin kalemi")
        verbose_name_plural = _("API çoklu izin kalemleri")
        ordering = ["batch_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="apibatchitem_one_per_index"),
            models.CheckConstraint(
                condition=Q(status__in=BatchItemStatus.values), name="apibatchitem_status_valid"
            ),
        ]
        indexes = [
            # /v2 looks up which request recorded the consent's current transaction.
            models.Index(
                fields=["transaction_id"], condition=~Q(transaction_id=""), name="apibatchitem_by_tx_idx"
            ),
        ]


class ApiIdempotencyRecord(models.Model):
    """The /v2 single add: the same parameters and body again return the same transactionId."""

    key = models.CharField(_("anahtar"), max_length=64, unique=True, help_text="SHA-256 of brand + canonical body.")
    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.CASCADE, related_name="+")
    transaction_id = models.CharField(_("İşlem numarası"), max_length=64)
    creation_date = models.DateTimeField(_("kayıt tarihi"), )
    created_at = models.DateTimeField(_("oluşturulma zamanı"), default=timezone.now)

    class Meta:
        verbose_name = _("API tekrar kaydı")
        verbose_name_plural = _("API tekrar kayıtları")


class PushState(models.TextChoices):
    ACTIVE = "ACTIVE", _("Bağlantı Oluşturuldu")
    REMOVED = "REMOVED", _("Bağlantı Kaldırıldı")


class PushRegistration(models.Model):
    """Where to push citizens' own movements (IYS_* sources) of one brand and channel."""

    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="push_registrations")
    channel = models.CharField(_("kanal"), max_length=6, choices=Channel.choices)
    url = models.URLField(_("adres"), max_length=500)
    username = models.CharField(_("kullanıcı adı"), max_length=150)
    # Needed in clear to authenticate to the provider's server; also the HMAC-SHA256 signing key.
    password = models.CharField(_("parola"), max_length=255)
    state = models.CharField(_("durum"), max_length=8, choices=PushState.choices, default=PushState.ACTIVE)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), default=timezone.now)
    state_changed_at = models.DateTimeField(_("durum değişikliği zamanı"), default=timezone.now)
    created_by = models.ForeignKey(
        ApiUser, verbose_name=_("oluşturan"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("push bağlantısı")
        verbose_name_plural = _("push bağlantıları")
        ordering = ["brand_id", "channel", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "channel", "url"],
                condition=Q(state="ACTIVE"),
                name="push_one_active_per_url",
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="push_channel_valid"),
            models.CheckConstraint(condition=Q(state__in=PushState.values), name="push_state_valid"),
        ]
        indexes = [
            models.Index(
                fields=["brand", "channel"], condition=Q(state="ACTIVE"), name="push_active_of_brand_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand_id}/{self.channel} → {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "PENDING", _("Bekliyor")
    DELIVERED = "DELIVERED", _("İletildi")
    FAILED = "FAILED", _("İletilemedi")


class PushDelivery(models.Model):
    """One consent movement sent to one registration, with its attempts."""

    registration = models.ForeignKey(PushRegistration, verbose_name=_("kayıt"), on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("consents.ConsentEvent", verbose_name=_("hareket"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("durum"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("deneme sayısı"), default=0)
    last_status_code = models.PositiveIntegerField(_("son yanıt kodu"), null=True, blank=True)
    last_error = models.CharField(_("son hata"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("son deneme zamanı"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("İletilme zamanı"), null=True, blank=True)

    class Meta:
        verbose_name = _("push iletimi")
        verbose_name_plural = _("push iletimleri")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "event"], name="push_delivery_once_per_event"),
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="push_delivery_state_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "created_at"], condition=Q(state="PENDING"), name="push_pending_idx"
            ),
        ]


class IntegratorAlert(models.Model):
    """An API user's 24-hour success rate fell under İYS's threshold (70 %); resolved when it recovers."""

    api_user = models.ForeignKey(ApiUser, verbose_name=_("API kullanıcısı"), on_delete=models.CASCADE, related_name="health_alerts")
    opened_at = models.DateTimeField(_("açıldı"), default=timezone.now)
    resolved_at = models.DateTimeField(_("kapandı"), null=True, blank=True)
    requests = models.PositiveIntegerField(_("İstek sayısı"))
    failures = models.PositiveIntegerField(_("hatalı istek"))
    notified_at = models.DateTimeField(_("operatörlere bildirildi"), null=True, blank=True)

    class Meta:
        verbose_name = _("entegratör uyarısı")
        verbose_name_plural = _("entegratör uyarıları")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["api_user"], condition=Q(resolved_at__isnull=True), name="integrator_alert_one_open"
            ),
        ]

    def __str__(self) -> str:
        rate = 100 * (1 - self.failures / self.requests) if self.requests else 100
        return f"{self.api_user.username}: %{rate:.1f} ({self.opened_at:%Y-%m-%d %H:%M})"
