from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from config.health import HealthView
from config.hygiene import AdminLoginForm
from config.metrics import metrics_view

# The admin speaks the site's language under the site's name, not "Django administration".
admin.site.site_header = _("ileti yönetimi")
admin.site.site_title = _("ileti yönetimi")
admin.site.index_title = _("Kayıt sisteminin yönetimi")
admin.site.login_form = AdminLoginForm  # refuses control characters like every form (config/hygiene.py)

urlpatterns = [
    # Machines' endpoints: load balancers and Prometheus (docs/operations.md).
    path("healthz", HealthView.as_view(), name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("consents.api.urls")),  # İYS-compatible integration API (consents/api)
    path("vatandas/", include("citizens.urls")),
    path("isletme/", include("providers.urls")),
    path("vatandas/sikayet/", include("citizens.complaints.urls")),
    path("", include("citizens.optout.urls")),
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# An unreachable database or Redis is a 503 with Retry-After (İYS-shaped on the API, JSON on the gateways'
# webhooks, the site's page elsewhere), any other error the site's 500 page: config/outage.py.
handler500 = "config.outage.server_error"
