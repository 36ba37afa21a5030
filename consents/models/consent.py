"""The consent record, its append-only history, retailer access and declaration periods (SPEC §2–§4)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from providers.models import Brand, Channel, Retailer, Tier


class RecipientType(models.TextChoices):
    BIREYSEL = "BIREYSEL", _("Bireysel (önceden onay)")
    TACIR = "TACIR", _("Tacir/esnaf (ret edene kadar)")


class Status(models.TextChoices):
    ONAY = "ONAY", _("Onay")
    RET = "RET", _("Ret")


class Source(models.TextChoices):
    # Sources a provider may send (HS_*).
    HS_FIZIKSEL_ORTAM = "HS_FIZIKSEL_ORTAM", _("Fiziksel ortam")
    HS_ISLAK_IMZA = "HS_ISLAK_IMZA", _("Islak imza")
    HS_ETKINLIK = "HS_ETKINLIK", _("Etkinlik")
    HS_ATM = "HS_ATM", _("ATM")
    HS_EORTAM = "HS_EORTAM", _("Elektronik ortam")
    HS_WEB = "HS_WEB", _("Web sitesi")
    HS_MOBIL = "HS_MOBIL", _("Mobil uygulama")
    HS_MESAJ = "HS_MESAJ", _("Kısa mesaj")
    HS_EPOSTA = "HS_EPOSTA", _("E-posta")
    HS_CAGRI_MERKEZI = "HS_CAGRI_MERKEZI", _("Çağrı merkezi")
    HS_SOSYAL_MEDYA = "HS_SOSYAL_MEDYA", _("Sosyal medya")
    HS_2015 = "HS_2015", _("1 Mayıs 2015 öncesi")
    HS_KARAR = "HS_KARAR", _("Hizmet sağlayıcı kararı")
    # Sources the registry sets for citizens' own actions (IYS_*).
    IYS_WEB = "IYS_WEB", _("İYS web")
    IYS_WEB_YENI = "IYS_WEB_YENI", _("İYS web (yeni marka)")
    IYS_MOBIL = "IYS_MOBIL", _("İYS mobil")
    IYS_KISAMESAJ = "IYS_KISAMESAJ", _("İYS kısa mesaj")
    IYS_CM = "IYS_CM", _("İYS çağrı merkezi")
    IYS_EPOSTA = "IYS_EPOSTA", _("İYS e-posta")
    IYS_FRAME_EPOSTA = "IYS_FRAME_EPOSTA", _("İYS ret bağlantısı (e-posta)")
    IYS_FRAME_SMS = "IYS_FRAME_SMS", _("İYS ret bağlantısı (SMS)")
    IYS_AHS_HAT_KAPATMA = "IYS_AHS_HAT_KAPATMA", _("Hat kapatma")


PROVIDER_SOURCES = frozenset(s for s in Source.values if s.startswith("HS_"))
REGISTRY_SOURCES = frozenset(s for s in Source.values if s.startswith("IYS_"))


class ActorKind(models.TextChoices):
    PROVIDER = "PROVIDER", _("Hizmet sağlayıcı")
    RETAILER = "RETAILER", _("Bayi/acente")
    CITIZEN = "CITIZEN", _("Vatandaş")
    SYSTEM = "SYSTEM", _("Sistem")
    OPERATOR = "OPERATOR", _("Operatör")


class Via(models.TextChoices):
    WEB = "WEB", _("Web formu")
    UPLOAD = "UPLOAD", _("Dosya yükleme")
    API = "API", _("API")
    SMS = "SMS", _("Kısa mesaj")
    CALL = "CALL", _("Telefonla arama (ret hattı)")
    OPTOUT_LINK = "OPTOUT_LINK", _("Ret bağlantısı")
    ADMIN = "ADMIN", _("Yönetim paneli")
    SYSTEM = "SYSTEM", _("Sistem görevi")


class DeclarationPeriod(models.Model):
    """A window in which providers of one tier declare consents they already hold (beyan dönemi)."""

    name = models.CharField(_("ad"), max_length=128)
    # Operators type the period's name; English pages show this one when it is given (names are data, not
    # catalogue strings).
    name_en = models.CharField(_("İngilizce ad"), max_length=128, blank=True)
    tier = models.CharField(_("kademe"), max_length=8, choices=Tier.choices)
    opens_on = models.DateField(_("beyan başlangıcı"), null=True, blank=True)
    declare_until = models.DateField(_("son beyan günü"))
    visible_from = models.DateField(_("vatandaşa görünür olduğu gün"))
    review_until = models.DateField(_("vatandaşın son inceleme günü"))
    visibility_notified_at = models.DateTimeField(_("görünürlük bildirimi zamanı"), null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(_("hatırlatma zamanı"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("oluşturulma zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("beyan dönemi")
        verbose_name_plural = _("beyan dönemleri")
        ordering = ["-declare_until", "tier"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="period_tier_valid"),
            models.CheckConstraint(
                condition=Q(declare_until__lt=models.F("visible_from"))
                & Q(visible_from__lte=models.F("review_until")),
                name="period_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(opens_on__isnull=True) | Q(opens_on__lte=models.F("declare_until")),
                name="period_opens_before_deadline",
            ),
        ]

    @property
    def display_name(self) -> str:
        """The name in the active language: the English name on English pages when an operator gave one."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_tier_display()})"


class Consent(models.Model):
    """The current state of one key (brand, recipient, recipient_type, channel)."""

    # No separate index on brand: the key's unique index starts with it.
    brand = models.ForeignKey(Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="consents", db_index=False)
    recipient = models.CharField(_("alıcı"), max_length=265)
    recipient_type = models.CharField(_("alıcı tipi"), max_length=8, choices=RecipientType.choices)
    channel = models.CharField(_("kanal"), max_length=6, choices=Channel.choices)
    status = models.CharField(_("durum"), max_length=4, choices=Status.choices)
    source = models.CharField(_("kaynak"), max_length=24, choices=Source.choices, null=True, blank=True)
    consent_date = models.DateTimeField(_("İzin tarihi"))
    created_at = models.DateTimeField(_("kayıt tarihi"))
    updated_at = models.DateTimeField(_("güncelleme tarihi"))
    transaction_id = models.CharField(_("İşlem numarası"), max_length=64)
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("bayi"), on_delete=models.PROTECT, null=True, blank=True, related_name="consents", db_index=False
    )  # served by consent_by_retailer_idx
    declaration_period = models.ForeignKey(
        DeclarationPeriod, verbose_name=_("beyan dönemi"), on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )
    review_until = models.DateTimeField(_("İnceleme süresi sonu"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("kesinleşme"), null=True, blank=True)

    class Meta:
        verbose_name = _("İzin")
        verbose_name_plural = _("İzinler")
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "recipient", "recipient_type", "channel"], name="consent_one_current_per_key"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="consent_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="consent_channel_valid"),
            models.CheckConstraint(
                condition=Q(recipient_type__in=RecipientType.values), name="consent_recipient_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__isnull=True) | Q(source__in=Source.values), name="consent_source_valid"
            ),
            models.CheckConstraint(
                condition=~Q(source="HS_KARAR") | Q(status="RET"), name="consent_hs_karar_only_ret"
            ),
            # MESAJ/ARAMA go to phones (E.164 '+'), EPOSTA to e-mail addresses (H464).
            models.CheckConstraint(
                condition=(Q(channel="EPOSTA") & Q(recipient__contains="@"))
                | (~Q(channel="EPOSTA") & Q(recipient__startswith="+")),
                name="consent_recipient_matches_channel",
            ),
            # BIREYSEL records always carry a source; TACIR's first record may omit it (rule 8).
            models.CheckConstraint(
                condition=Q(recipient_type="TACIR") | Q(source__isnull=False), name="consent_bireysel_has_source"
            ),
            models.CheckConstraint(
                condition=Q(finalized_at__isnull=True) | Q(review_until__isnull=False),
                name="consent_finalized_only_if_reviewed",
            ),
        ]
        indexes = [
            # Citizens see every brand holding their address; the SMS/opt-out paths look up by recipient.
            models.Index(fields=["recipient", "channel"], name="consent_by_recipient_idx"),
            # The review finaliser scans declared ONAY consents whose review ended and are not final yet.
            models.Index(
                fields=["review_until"],
                condition=Q(review_until__isnull=False, finalized_at__isnull=True),
                name="consent_review_due_idx",
            ),
            # Dashboard counts and provider filters by brand/channel/status.
            models.Index(fields=["brand", "channel", "status"], name="consent_dashboard_idx"),
            models.Index(fields=["retailer"], name="consent_by_retailer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.channel}/{self.recipient_type} {self.status} @ {self.brand_id}"

    @property
    def under_review(self) -> bool:
        return self.review_until is not None and self.finalized_at is None and self.status == Status.ONAY


class EventAction(models.TextChoices):
    CREATE = "CREATE", _("İlk kayıt")
    CHANGE = "CHANGE", _("Durum değişikliği")
    FINALIZE = "FINALIZE", _("Beyan kesinleşti")


def new_transaction_id() -> str:
    return uuid.uuid4().hex


class ConsentEvent(models.Model):
    """One movement of a consent. Append-only: PostgreSQL refuses UPDATE and DELETE (migration 0002)."""

    # Both foreign keys are served by the composite indexes below (history of a consent, feed of a brand);
    # every index and every foreign-key check on this table is paid on each of millions of history rows.
    consent = models.ForeignKey(Consent, verbose_name=_("İzin"), on_delete=models.PROTECT, related_name="events", db_index=False)
    # A copy of consent.brand for the change feed: the consent's own foreign key already guarantees it,
    # so PostgreSQL is spared a second lookup per row (Django still PROTECTs brands with history).
    brand = models.ForeignKey(
        Brand, verbose_name=_("marka"), on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    recipient = models.CharField(_("alıcı"), max_length=265)
    recipient_type = models.CharField(_("alıcı tipi"), max_length=8, choices=RecipientType.choices)
    channel = models.CharField(_("kanal"), max_length=6, choices=Channel.choices)
    action = models.CharField(_("İşlem"), max_length=8, choices=EventAction.choices)
    previous_status = models.CharField(_("önceki durum"), max_length=4, choices=Status.choices, null=True, blank=True)
    status = models.CharField(_("durum"), max_length=4, choices=Status.choices)
    source = models.CharField(_("kaynak"), max_length=24, choices=Source.choices, null=True, blank=True)
    consent_date = models.DateTimeField(_("İzin tarihi"), )
    created_at = models.DateTimeField(_("oluşturulma zamanı"), db_index=False)
    transaction_id = models.CharField(_("İşlem numarası"), max_length=64)  # unique: event_transaction_id_unique
    retailer = models.ForeignKey(Retailer, verbose_name=_("bayi"), on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_kind = models.CharField(_("İşlemi yapanın türü"), max_length=10, choices=ActorKind.choices)
    # Audit identity: actor_label/actor_ref keep who acted even without the user row; Django PROTECTs users
    # with history, and the database skips a lookup per inserted history row.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("İşlemi yapan kullanıcı"), on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_constraint=False,
    )
    actor_ref = models.CharField(
        _("İşlemi yapanın kimliği"),
        max_length=64, blank=True, help_text="Kind-specific id of the actor (citizen id, API user id, task name)."
    )
    actor_label = models.CharField(_("İşlemi yapan"), max_length=255, blank=True)
    via = models.CharField(_("İşlem yolu"), max_length=12, choices=Via.choices)
    # A provider-reported rejection that arrived after 3 business days: stored, flagged for operators.
    late_report = models.BooleanField(_("geç bildirim"), default=False)
    review_until = models.DateTimeField(_("İnceleme süresi sonu"), null=True, blank=True)
    # A provider's ONAY recorded over the recipient's own rejection (the latest movement was the citizen's RET):
    # the citizen is told, and operators can find these. Database defaults: the upload's SQL INSERTs rows too.
    overrides_citizen_rejection = models.BooleanField(
        _("vatandaşın reddi üzerine onay"), default=False, db_default=False
    )
    # What the provider says proves the recipient consented again (required on the portal for an override).
    evidence_note = models.TextField(_("kanıt notu"), blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("İzin hareketi")
        verbose_name_plural = _("İzin hareketleri")
        ordering = ["-id"]
        # A constraint rather than unique=True: it skips the LIKE (varchar_pattern_ops) index nobody queries.
        constraints = [models.UniqueConstraint(fields=["transaction_id"], name="event_transaction_id_unique")]
        indexes = [
            models.Index(fields=["consent", "id"], name="event_history_of_consent_idx"),
            # Change feed of a brand (İYS consents/changes, portal feed) pages by id.
            models.Index(fields=["brand", "id"], name="event_change_feed_idx"),
            models.Index(fields=["recipient", "id"], name="event_by_recipient_idx"),
            models.Index(fields=["id"], condition=Q(late_report=True), name="event_late_reports_idx"),
            # The notification sweep and operators look up overrides of citizens' rejections: few rows.
            models.Index(
                fields=["id"], condition=Q(overrides_citizen_rejection=True), name="event_rejection_overrides_idx"
            ),
        ]

    @property
    def actor_text(self) -> str:
        """Who acted, in the reader's language: a citizen's label was recorded in the language of the moment,
        so it is rebuilt from the stored reference; other labels are names (users, dealers, tasks)."""
        if self.actor_kind == ActorKind.CITIZEN:
            if self.actor_ref.isdigit():
                return gettext("Vatandaş #%(number)s") % {"number": self.actor_ref}
            return str(self.get_actor_kind_display())  # an opt-out without an account
        return self.actor_label

    def __str__(self) -> str:
        # Local time in the active language's format; a first record has no previous status to show.
        when = formats.date_format(timezone.localtime(self.created_at), "SHORT_DATETIME_FORMAT")
        return f"{when} {self.recipient} {self.previous_status or '—'} → {self.status}"


class RetailerAccess(models.Model):
    """İYS retailerAccess: which retailers of the brand may use one consent."""

    consent = models.ForeignKey(Consent, verbose_name=_("İzin"), on_delete=models.CASCADE, related_name="retailer_accesses")
    retailer = models.ForeignKey(Retailer, verbose_name=_("bayi"), on_delete=models.PROTECT, related_name="consent_accesses")
    granted_at = models.DateTimeField(_("yetki verilme zamanı"), auto_now_add=True)

    class Meta:
        verbose_name = _("bayi izin erişimi")
        verbose_name_plural = _("bayi izin erişimleri")
        constraints = [
            models.UniqueConstraint(fields=["consent", "retailer"], name="retaileraccess_one_per_pair"),
        ]


class LateRejectionManager(models.Manager["LateRejection"]):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(late_report=True)


class LateRejection(ConsentEvent):
    """Provider-reported rejections that reached the registry after three business days (for operators)."""

    objects = LateRejectionManager()

    class Meta:
        proxy = True
        verbose_name = _("geç bildirilen ret")
        verbose_name_plural = _("geç bildirilen retler")
