from django.urls import path

from . import views

app_name = "consultation"

urlpatterns = [
    path("rendez-vous/<uuid:appointment_id>/", views.enter, name="enter"),
    path("historique/", views.history, name="history"),
    path("<uuid:room_id>/", views.room, name="room"),
    path("<uuid:room_id>/ice/", views.ice, name="ice"),
    path("<uuid:room_id>/notes/", views.save_note, name="save_note"),
    path("<uuid:room_id>/invitation/", views.invite, name="invite"),
    path("<uuid:room_id>/invite/<uuid:participant_id>/", views.guest, name="guest"),
    path("<uuid:room_id>/dossier/", views.record, name="record"),
]
