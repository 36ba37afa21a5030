"""Admin: per declaration period how many consents were declared, rejected during review and finalised;
the review notification log."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consents.models import DeclarationPeriod, NotificationState, ReviewNotification, Status

__all__ = ["DeclarationPeriodAdmin", "DeclarationPeriodReviewAdmin", "ReviewNotificationAdmin", "period_calendar"]


def period_calendar(periods: QuerySet[DeclarationPeriod]) -> dict | None:
    """A timeline of the periods: declaration, waiting and review phases as bars on a shared date axis."""
    rows = list(periods.order_by("declare_until", "tier")[:24])
    if not rows:
        return None
    start = min(p.opens_on or p.declare_until - timedelta(days=60) for p in rows)
    end = max(p.review_until for p in rows)
    span = max((end - start).days, 1)

    def pct(day) -> float:
        return round(100 * (day - start).days / span, 2)

    today = timezone.localdate()
    bars = []
    for p in rows:
        opens = p.opens_on or p.declare_until - timedelta(days=60)
        bars.append({
            "period": p,
            "declare": (pct(opens), max(pct(p.declare_until) - pct(opens), 0.5)),
            "wait": (pct(p.declare_until), max(pct(p.visible_from) - pct(p.declare_until), 0.3)),
            "review": (pct(p.visible_from), max(pct(p.review_until) - pct(p.visible_from), 0.5)),
        })
    return {"start": start, "end": end, "bars": bars, "today": pct(today) if start <= today <= end else None}


class DeclarationPeriodAdmin(admin.ModelAdmin):
    """The declaration calendar: operators open new periods here (dates are data, never code)."""

    list_display = ("name", "tier", "opens_on", "declare_until", "visible_from", "review_until", "phase")
    list_filter = ("tier",)
    search_fields = ("name", "name_en")
    ordering = ("-declare_until",)
    date_hierarchy = "declare_until"
    readonly_fields = ("visibility_notified_at", "reminder_sent_at", "created_at")

    change_list_template = "admin/consents/declarationperiod/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "calendar": period_calendar(DeclarationPeriod.objects.all())}
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description=_("aşama"))
    def phase(self, period: DeclarationPeriod) -> str:
        today = timezone.localdate()
        if period.opens_on and today < period.opens_on:
            return str(_("henüz açılmadı"))
        if today <= period.declare_until:
            return str(_("beyan açık"))
        if today < period.visible_from:
            return str(_("vatandaşa açılmayı bekliyor"))
        if today <= period.review_until:
            return str(_("vatandaş incelemesinde"))
        return str(_("kapandı"))


class DeclarationPeriodReviewAdmin(DeclarationPeriodAdmin):
    """The lead's period admin plus the review figures, computed in the changelist's one query."""

    list_display = (*DeclarationPeriodAdmin.list_display, "declared", "rejected_in_review", "finalized", "in_review")

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeclarationPeriod]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_declared=Count("consents"),
                n_rejected=Count(
                    "consents", filter=Q(consents__status=Status.RET, consents__finalized_at__isnull=True)
                ),
                n_finalized=Count("consents", filter=Q(consents__finalized_at__isnull=False)),
                n_in_review=Count(
                    "consents", filter=Q(consents__status=Status.ONAY, consents__finalized_at__isnull=True)
                ),
            )
        )

    @admin.display(description=_("beyan edilen"), ordering="n_declared")
    def declared(self, period: DeclarationPeriod) -> int:
        return period.n_declared

    @admin.display(description=_("İncelemede reddedilen"), ordering="n_rejected")
    def rejected_in_review(self, period: DeclarationPeriod) -> int:
        return period.n_rejected

    @admin.display(description=_("kesinleşen"), ordering="n_finalized")
    def finalized(self, period: DeclarationPeriod) -> int:
        return period.n_finalized

    @admin.display(description=_("İncelemede bekleyen"), ordering="n_in_review")
    def in_review(self, period: DeclarationPeriod) -> int:
        return period.n_in_review


admin.site.register(DeclarationPeriod, DeclarationPeriodReviewAdmin)


@admin.register(ReviewNotification)
class ReviewNotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "period", "citizen", "kind", "state", "channel", "address", "attempts", "sent_at")
    list_filter = ("state", "kind", "period")
    search_fields = ("=address", "=citizen__id")
    list_select_related = ("period",)
    readonly_fields = [f.name for f in ReviewNotification._meta.fields]
    actions = ["release_for_resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Yeniden gönderilecek olarak işaretle (yalnızca takılı/başarısız)"))
    def release_for_resend(self, request: HttpRequest, queryset: QuerySet[ReviewNotification]) -> None:
        # A row stuck in SENDING may already have reached the citizen: the operator decides, the system never does.
        released = queryset.filter(state__in=[NotificationState.SENDING, NotificationState.FAILED]).update(
            state=NotificationState.PENDING, attempts=0
        )
        self.message_user(
            request,
            ngettext("%(n)d bildirim yeniden gönderilecek.", "%(n)d bildirim yeniden gönderilecek.", released)
            % {"n": released},
            messages.SUCCESS,
        )
