from django.urls import path

from . import views

urlpatterns = [
    path("mot-de-passe-oublie/", views.password_reset, name="password_reset"),
    path("mot-de-passe-oublie/envoye/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "mot-de-passe-oublie/<str:uidb64>/<str:token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe-oublie/termine/", views.password_reset_done, name="password_reset_done"),
    path("inscription/", views.register, name="register"),
    path("inscription/envoye/", views.register_sent, name="register_sent"),
    path("inscription/<str:token>/", views.register_complete, name="register_complete"),
]
