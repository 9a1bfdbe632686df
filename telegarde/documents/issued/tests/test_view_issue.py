"""The issuing pages: from a consultation record (report prefilled from the notes) or a
patient's documents; form errors name the field; strangers get a 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.consultation.models import Room
from telegarde.documents.issued.models import IssuedDocument

from .conftest import LINES, NOTE


def from_room(room: Room, kind: str = "compte-rendu") -> str:
    return reverse("issued:from_consultation", args=[room.external_id, kind])


def for_patient(personas: Personas, kind: str = "ordonnance") -> str:
    return reverse("issued:for_patient", args=[personas.patient.external_id, kind])


def test_the_record_page_links_the_practitioner_to_issuing(
    personas: Personas, room: Room, login: Any
) -> None:
    page = login(personas.practitioner).get(reverse("consultation:record", args=[room.external_id]))
    assert from_room(room) in page.content.decode()
    assert from_room(room, "ordonnance") in page.content.decode()


def test_the_report_form_starts_from_the_notes(personas: Personas, room: Room, login: Any) -> None:
    response = login(personas.practitioner).get(from_room(room))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Grippe probable." in page and "PATIENTE" in page
    assert last_event("patient.record.viewed").data["record"] == "identity"


def test_the_practitioner_issues_the_edited_report(
    personas: Personas, room: Room, login: Any
) -> None:
    edited = NOTE + "\nArrêt de travail non nécessaire."
    response = login(personas.practitioner).post(from_room(room), {"text": edited})
    issued = IssuedDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("issued:detail", args=[issued.external_id])
    assert issued.room == room and issued.kind == "report"
    assert last_event("document.issued").target_id == str(issued.external_id)


def test_a_prescription_from_the_patients_documents(personas: Personas, login: Any) -> None:
    client = login(personas.practitioner)
    page = client.get(reverse("documents:patient", args=[personas.patient.external_id]))
    assert for_patient(personas) in page.content.decode()
    response = client.post(for_patient(personas), {"lines": LINES})
    assert response.status_code == 302
    assert IssuedDocument.objects.get().kind == "prescription"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"lines": ""}, "lines", "Ce champ est obligatoire"),
        ({"lines": "\n".join(["Doliprane 1 g"] * 31)}, "lines", "30 lignes"),
        ({"lines": "y" * 400}, "lines", "ligne 1 dépasse 300"),
        ({"lines": "x" * 20_000}, "lines", "au plus"),
        ({"lines": "Dose ≤ 3 g"}, "lines", "U+2264"),
    ],
)
def test_bad_input_is_a_form_error_on_its_field(
    personas: Personas, login: Any, data: dict[str, str], field: str, message: str
) -> None:
    response = login(personas.practitioner).post(for_patient(personas), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert not IssuedDocument.objects.exists()


def test_an_empty_report_is_a_form_error(personas: Personas, room: Room, login: Any) -> None:
    response = login(personas.practitioner).post(from_room(room), {"text": "   "})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["text"]


@pytest.mark.parametrize(
    "who", ["patient", "other_patient", "staff", "other_practitioner", "outsider"]
)
def test_only_the_consultations_practitioner_issues_from_it(
    personas: Personas, room: Room, login: Any, who: str
) -> None:
    client = login(getattr(personas, who))
    assert client.get(from_room(room)).status_code == 404
    assert client.post(from_room(room), {"text": "Faux"}).status_code == 404
    assert not IssuedDocument.objects.exists()


@pytest.mark.parametrize(
    "who", ["patient", "other_patient", "staff", "other_practitioner", "outsider"]
)
def test_only_a_practitioner_of_the_patient_issues_from_their_documents(
    personas: Personas, login: Any, who: str
) -> None:
    client = login(getattr(personas, who))
    assert client.get(for_patient(personas)).status_code == 404
    assert client.post(for_patient(personas), {"lines": LINES}).status_code == 404
    assert not IssuedDocument.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(personas: Personas, client: Any) -> None:
    response = client.post(for_patient(personas), {"lines": LINES})
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_an_unknown_kind_is_not_found(personas: Personas, login: Any) -> None:
    response = login(personas.practitioner).get(for_patient(personas, "certificat"))
    assert response.status_code == 404
