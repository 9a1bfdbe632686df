from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("patient/<uuid:patient_id>/", views.patient_documents, name="patient"),
    # The shield gives /documents/depot/ the upload body cap (security/shield/classify.py).
    path("depot/<uuid:patient_id>/", views.upload, name="upload"),
    path("<uuid:document_id>/telecharger/", views.download, name="download"),
    path("quarantaine/<uuid:organisation_id>/", views.quarantine, name="quarantine"),
    path(
        "quarantaine/document/<uuid:document_id>/",
        views.quarantine_detail,
        name="quarantine_detail",
    ),
    path("quarantaine/document/<uuid:document_id>/liberer/", views.release, name="release"),
    path("quarantaine/document/<uuid:document_id>/supprimer/", views.delete, name="delete"),
]
