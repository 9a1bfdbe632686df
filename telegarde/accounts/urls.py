from django.urls import include, path

from . import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("second-facteur/", views.second_factor, name="second_factor"),
    path("sessions/", views.sessions, name="sessions"),
    path("confirmer/", views.step_up, name="step_up"),
    path("mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("", include("telegarde.accounts.passwords.urls")),
    path("", include("telegarde.accounts.recovery.urls")),
    path("patients/<uuid:patient_id>/", views.patient_detail, name="patient_detail"),
]
