from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<uuid:thread_id>/", views.thread, name="thread"),
    # Posting may carry attachments: the shield gives /messages/envoi/ the upload body cap
    # (security/shield/classify.py).
    path("envoi/nouveau/", views.new_thread, name="new_thread"),
    path("envoi/<uuid:thread_id>/", views.reply, name="reply"),
]
