from django.urls import path

from . import views

app_name = "detection"
urlpatterns = [
    path("<uuid:organisation_id>/alertes/", views.alert_list, name="alert_list"),
    path("plateforme/alertes/", views.alert_list, name="platform_alerts"),
    path("<uuid:organisation_id>/alertes/test/", views.test_notification, name="test_notification"),
    path("plateforme/alertes/test/", views.test_notification, name="platform_test_notification"),
    path("<uuid:organisation_id>/regles/", views.rule_list, name="rule_list"),
    path("<uuid:organisation_id>/regles/<slug:rule_id>/", views.rule_tune, name="rule_tune"),
    path("alertes/<uuid:alert_id>/", views.alert_detail, name="alert_detail"),
    path("alertes/<uuid:alert_id>/etat/", views.alert_status, name="alert_status"),
    path("alertes/<uuid:alert_id>/commentaire/", views.alert_comment, name="alert_comment"),
    path(
        "alertes/<uuid:alert_id>/reponses/<uuid:response_id>/annuler/",
        views.response_revert,
        name="response_revert",
    ),
]
