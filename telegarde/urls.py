from django.contrib import admin
from django.urls import include, path

from telegarde import views
from telegarde.consultation import views as consultation_views

admin.site.site_header = "Telegarde — administration"
admin.site.site_title = "Telegarde"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accueil/", views.home, name="home"),
    path(
        "securite/<uuid:organisation_id>/journal/", views.security_journal, name="security_journal"
    ),
    path("healthz", views.healthz, name="healthz"),
    path("verification/", views.message_verification, name="message_verification"),
    path("comptes/cles/", include("telegarde.accounts.passkeys.urls")),
    path("comptes/mfa/", include("telegarde.accounts.mfa.urls")),
    path("comptes/psc/", include("telegarde.accounts.oidc.urls", namespace="oidc")),
    path("comptes/", include("telegarde.accounts.urls")),
    path("rendez-vous/", include("telegarde.scheduling.urls")),
    path("consultation/", include("telegarde.consultation.urls")),
    # Issued documents (/documents/delivres/…) and the public /verify pages.
    path("", include("telegarde.documents.issued.urls")),
    path("documents/", include("telegarde.documents.urls")),
    path("messages/", include("telegarde.messaging.urls")),
    path("status", consultation_views.status, name="status"),
    path("securite/bouclier/", include("telegarde.security.shield.urls")),
    path("securite/", include("telegarde.security.detection.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("gestion/", admin.site.urls),
]
