from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("", views.search, name="search"),
    path("mes-rendez-vous/", views.mine, name="mine"),
    path("agenda/", views.agenda, name="agenda"),
    path("disponibilites/", views.availability_index, name="availability_index"),
    path("praticiens/<uuid:membership_id>/", views.practitioner_slots, name="slots"),
    path("praticiens/<uuid:membership_id>/reserver/", views.book, name="book"),
    path(
        "praticiens/<uuid:membership_id>/disponibilites/",
        views.availability,
        name="availability",
    ),
    path("praticiens/<uuid:membership_id>/absences/", views.add_absence, name="add_absence"),
    path(
        "disponibilites/<uuid:availability_id>/supprimer/",
        views.delete_availability,
        name="delete_availability",
    ),
    path("absences/<uuid:absence_id>/supprimer/", views.delete_absence, name="delete_absence"),
    path("<uuid:appointment_id>/", views.appointment_detail, name="detail"),
    path("<uuid:appointment_id>/annuler/", views.cancel, name="cancel"),
    path("<uuid:appointment_id>/deplacer/", views.reschedule, name="reschedule"),
]
