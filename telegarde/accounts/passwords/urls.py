from django.urls import path

from . import views

urlpatterns = [
    path("mot-de-passe/estimer/", views.estimate, name="password_estimate"),
]
