from django.urls import path

from . import views

app_name = "oidc"

urlpatterns = [
    path("connexion/", views.start, name="start"),
    path("retour/", views.callback, name="callback"),
]
