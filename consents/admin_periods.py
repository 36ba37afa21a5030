"""Admin: per declaration period how many consents were declared, rejected during review and finalised;
the review notification log."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin import DeclarationPeriodAdmin
from .models import DeclarationPeriod, Status
from .review_models import NotificationState, ReviewNotification

__all__ = ["DeclarationPeriodReviewAdmin", "ReviewNotificationAdmin"]


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

    @admin.display(description=_("incelemede reddedilen"), ordering="n_rejected")
    def rejected_in_review(self, period: DeclarationPeriod) -> int:
        return period.n_rejected

    @admin.display(description=_("kesinleşen"), ordering="n_finalized")
    def finalized(self, period: DeclarationPeriod) -> int:
        return period.n_finalized

    @admin.display(description=_("incelemede bekleyen"), ordering="n_in_review")
    def in_review(self, period: DeclarationPeriod) -> int:
        return period.n_in_review


admin.site.unregister(DeclarationPeriod)
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
