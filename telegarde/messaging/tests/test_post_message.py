"""do_post_message: sealed at rest, an event without content, a mail that says only
that there is a message."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from telegarde.accounts.models import User
from telegarde.conftest import Personas, last_event
from telegarde.core.models import OutboundMessage
from telegarde.core.vault import open_text
from telegarde.lib.crypto import SealError
from telegarde.messaging.actions import do_post_message
from telegarde.messaging.models import Message, Thread

from .fixtures import colleague_fixture, colleague_thread_fixture, patient_thread_fixture  # noqa: F401

SECRET = "Résultat de la biopsie : carcinome"


def stored_body(message: Message) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sealed_body FROM {Message._meta.db_table} WHERE id = %s",  # noqa: S608
            [message.pk],
        )
        return str(cursor.fetchone()[0])


def test_it_seals_the_body_bound_to_the_message(personas: Personas, patient_thread: Thread) -> None:
    message = do_post_message(patient_thread, SECRET, acting_user=personas.practitioner)

    stored = stored_body(message)
    assert "biopsie" not in stored
    assert open_text(f"message:{message.external_id}", stored) == SECRET
    other = patient_thread.messages.exclude(pk=message.pk).get()
    with pytest.raises(SealError):
        open_text(f"message:{other.external_id}", stored)


def test_it_records_the_event_without_content(personas: Personas, patient_thread: Thread) -> None:
    message = do_post_message(patient_thread, SECRET, acting_user=personas.practitioner)

    event = last_event("message.posted")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.target_id == str(patient_thread.external_id)
    assert event.data == {
        "message": str(message.external_id),
        "length": len(SECRET),
        "attachments": 0,
    }
    assert "biopsie" not in str(event.data)


def mailed_links(body: str) -> list[str]:
    return re.findall(r"https?://[^\s()<>]+", body)


def test_it_mails_the_others_only_that_there_is_a_message(
    personas: Personas, patient_thread: Thread, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(patient_thread, SECRET, acting_user=personas.practitioner)

    (sent,) = mail.outbox
    assert sent.to == [personas.patient.email]
    assert sent.subject == "Vous avez un nouveau message"
    assert "Vous avez un nouveau message" in sent.body
    for revealing in ("biopsie", "carcinome", personas.practitioner.last_name, "MSP"):
        assert revealing not in sent.subject + sent.body
    code = OutboundMessage.objects.get(recipient_id=str(personas.patient.external_id)).code
    assert code in sent.body
    assert not sent.attachments


def test_its_links_never_ask_for_credentials(
    personas: Personas,
    patient_thread: Thread,
    django_capture_on_commit_callbacks: Any,
    client: Client,
    settings: Any,
) -> None:
    """Every link in the mail opens, signed out, a page without a password field."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(patient_thread, SECRET, acting_user=personas.practitioner)

    links = mailed_links(str(mail.outbox[0].body))
    assert links, "the mail links to the platform home"
    for link in links:
        assert link.startswith(settings.PUBLIC_URL + "/")
        response = client.get(link.removeprefix(settings.PUBLIC_URL), follow=True)
        assert response.status_code == 200
        assert response.redirect_chain == [], f"{link} redirects (to a sign-in page?)"
        assert 'type="password"' not in response.content.decode()


def test_it_mails_once_until_the_message_is_read(
    personas: Personas, patient_thread: Thread, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(patient_thread, "un", acting_user=personas.patient)
        do_post_message(patient_thread, "deux", acting_user=personas.patient)

    # The first message of the thread already told the practitioner.
    assert mail.outbox == []


def test_it_tells_every_other_colleague_never_the_patient(
    personas: Personas,
    colleague: User,
    colleague_thread: Thread,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from telegarde.messaging.actions import do_mark_thread_read

    do_mark_thread_read(colleague_thread, acting_user=colleague)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(colleague_thread, "Et maintenant ?", acting_user=personas.practitioner)

    assert [m.to for m in mail.outbox] == [[colleague.email]]


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "staff", "outsider"])
def test_it_refuses_someone_outside_the_thread(
    personas: Personas, patient_thread: Thread, who: str
) -> None:
    with pytest.raises(ValidationError):
        do_post_message(patient_thread, "intrusion", acting_user=getattr(personas, who))

    assert patient_thread.messages.count() == 1


def test_it_refuses_the_patient_in_a_colleagues_thread(
    personas: Personas, colleague_thread: Thread
) -> None:
    with pytest.raises(ValidationError):
        do_post_message(colleague_thread, "moi aussi", acting_user=personas.patient)


def test_it_refuses_a_practitioner_who_left_the_organisation(
    personas: Personas, patient_thread: Thread
) -> None:
    personas.practitioner.memberships.filter(organisation=personas.organisation).delete()

    with pytest.raises(ValidationError):
        do_post_message(patient_thread, "encore là", acting_user=personas.practitioner)


def test_it_refuses_an_empty_body(personas: Personas, patient_thread: Thread) -> None:
    with pytest.raises(ValidationError) as refused:
        do_post_message(patient_thread, " \n ", acting_user=personas.patient)

    assert "body" in refused.value.message_dict
