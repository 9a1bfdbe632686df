from django.urls import path

from . import views

app_name = "issued"

urlpatterns = [
    path(
        "documents/delivres/consultation/<uuid:room_id>/<slug:kind>/",
        views.issue_from_consultation,
        name="from_consultation",
    ),
    path(
        "documents/delivres/patient/<uuid:patient_id>/<slug:kind>/",
        views.issue_for_patient,
        name="for_patient",
    ),
    path("documents/delivres/<uuid:issued_id>/", views.detail, name="detail"),
    path("documents/delivres/<uuid:issued_id>/revoquer/", views.revoke, name="revoke"),
    # Public; the shield gives /verify/ the sign-in budget (security/shield/classify.py).
    path("verify/", views.verify_form, name="verify_form"),
    # As printed in the QR code: {PUBLIC_URL}/verify/ABCD-EFGH-JKLM, no trailing slash.
    path("verify/<str:code>", views.verify, name="verify"),
]
