from django.urls import path

from . import views

app_name = "mfa"

urlpatterns = [
    path("", views.manage, name="manage"),
    path("totp/ajouter/", views.totp_enrol, name="totp_enrol"),
    path("totp/retirer/", views.totp_remove, name="totp_remove"),
    path("totp/verifier/", views.totp_challenge, name="totp_challenge"),
    path("secours/regenerer/", views.recovery_regenerate, name="recovery_regenerate"),
    path("secours/verifier/", views.recovery_challenge, name="recovery_challenge"),
]
