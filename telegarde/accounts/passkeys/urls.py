from django.urls import path

from . import views

app_name = "passkeys"

urlpatterns = [
    path("", views.passkey_list, name="list"),
    path("ajouter/", views.add, name="add"),
    path("ajouter/options/", views.add_options, name="add_options"),
    path("<uuid:passkey_id>/renommer/", views.rename, name="rename"),
    path("<uuid:passkey_id>/supprimer/", views.remove, name="remove"),
    path("connexion/", views.passwordless_login, name="login"),
    path("connexion/options/", views.login_options, name="login_options"),
    path("verification/", views.challenge, name="challenge"),
    path("verification/options/", views.challenge_options, name="challenge_options"),
]
