"""The business portal (/isletme/): sign-in, provider context, dashboard, brands and consents."""
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from .forms import PortalAuthenticationForm
from .views import dashboard, setup

app_name = "portal"

urlpatterns = [
    path(
        "giris/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=PortalAuthenticationForm,
            next_page=reverse_lazy("portal:dashboard"),
        ),
        name="login",
    ),
    path("cikis/", auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:login")), name="logout"),
    path("saglayici/", dashboard.switch_provider, name="switch_provider"),
    path("", dashboard.dashboard, name="dashboard"),
    # Brands, dealers/agencies and intermediary authorisations.
    path("markalar/", setup.brand_list, name="brands"),
    path("markalar/yeni/", setup.brand_create, name="brand_create"),
    path("markalar/<int:brand_code>/duzenle/", setup.brand_edit, name="brand_edit"),
    path("bayiler/", setup.retailer_list, name="retailers"),
    path("bayiler/yeni/", setup.retailer_create, name="retailer_create"),
    path("bayiler/<int:code>/duzenle/", setup.retailer_edit, name="retailer_edit"),
    path("bayiler/<int:code>/sil/", setup.retailer_delete, name="retailer_delete"),
    path("bayilik-davetleri/", setup.dealer_invitations, name="dealer_invitations"),
    path("bayilik-davetleri/<int:pk>/kabul/", setup.dealer_invitation_accept, name="dealer_invitation_accept"),
    path("bayilik-davetleri/<int:pk>/ret/", setup.dealer_invitation_decline, name="dealer_invitation_decline"),
    path("aracilar/", setup.intermediary_list, name="intermediaries"),
    path("aracilar/yetki/<int:pk>/iptal/", setup.authorization_revoke, name="authorization_revoke"),
    # Consents: their pages live with the consents app (consents/portal), mounted here by name so that
    # providers never imports consents' views.
    path("", include("consents.portal.urls")),
    path("yuklemeler/", include("consents.uploads.urls")),  # bulk CSV upload (consents/uploads)
    path("api-kullanicilari/", include("consents.api.portal")),  # API users and activity (consents/api/portal.py)
    path("mutabakat/", include("consents.ledger.urls")),  # daily reconciliation (consents/ledger)
]
