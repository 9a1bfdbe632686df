"""The flood benchmark's booking patients (bench/booking.py) read the real free-slots page:
its forms are found, today's left aside, and one posted back books the slot."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bench.booking import PARIS, SLOTS_LINK, free_slot_forms
from telegarde.conftest import Personas
from telegarde.scheduling.models import Appointment
from telegarde.scheduling.tests.conftest import membership_of, open_every_day


def test_it_finds_the_forms_leaves_today_aside_and_books_one(
    personas: Personas, login: Any
) -> None:
    membership = membership_of(personas)
    open_every_day(membership)
    client = login(personas.patient)
    search = client.get("/rendez-vous/").content
    slots_path = f"/rendez-vous/praticiens/{membership.external_id}/"
    assert set(SLOTS_LINK.findall(search)) == {slots_path.encode()}
    page = client.get(slots_path).content
    forms = free_slot_forms(page)
    today = datetime.now(PARIS).date()
    assert len(forms) > 100
    days = {datetime.fromisoformat(f["starts_at"]).astimezone(PARIS).date() for _, f in forms}
    assert min(days) > today
    # When only today has slots left, today's are offered rather than none.
    assert len(free_slot_forms(page, today=datetime.now(PARIS) + timedelta(days=30))) >= len(forms)

    action, fields = forms[0]
    assert set(fields) == {"csrfmiddlewaretoken", "starts_at", "kind"}
    answer = client.post(action, fields)
    appointment = Appointment.objects.get(patient=personas.patient)
    assert answer.status_code == 302
    assert answer["Location"] == f"/rendez-vous/{appointment.external_id}/"
