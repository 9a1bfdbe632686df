from django.urls import path

from . import views

app_name = "shield"
urlpatterns = [
    path("blocages/", views.bans, name="bans"),
    path("blocages/<uuid:ban_id>/lever/", views.lift_ban, name="lift_ban"),
]
