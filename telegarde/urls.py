from django.contrib import admin
from django.urls import include, path

from telegarde import views

admin.site.site_header = "Telegarde — administration"
admin.site.site_title = "Telegarde"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accueil/", views.home, name="home"),
    path(
        "securite/<uuid:organisation_id>/journal/", views.security_journal, name="security_journal"
    ),
    path("healthz", views.healthz, name="healthz"),
    path("comptes/", include("telegarde.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("gestion/", admin.site.urls),
]
