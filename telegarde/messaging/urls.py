from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("nouveau/", views.new_thread, name="new_thread"),
    path("<uuid:thread_id>/", views.thread, name="thread"),
    path("<uuid:thread_id>/reponse/", views.reply, name="reply"),
]
