from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from telegarde.accounts.management.commands.demo import DEMO_PASSWORD, PEOPLE
from telegarde.accounts.models import Membership, Organisation, User
from telegarde.core.events import verify_chain


def test_it_creates_one_person_per_role_and_is_idempotent(db: None) -> None:
    call_command("demo", stdout=None)
    counts = (User.objects.count(), Membership.objects.count(), Organisation.objects.count())
    call_command("demo")
    assert (
        User.objects.count(),
        Membership.objects.count(),
        Organisation.objects.count(),
    ) == counts
    assert counts[0] == len(PEOPLE) == 7
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Membership.Role.values)
    assert User.objects.get(email="dr.martin@demo.telegarde.fr").check_password(DEMO_PASSWORD)
    assert verify_chain().ok


def test_it_prints_the_logins(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    assert all(person.email in out for person in PEOPLE)


@override_settings(PRODUCTION=True)
def test_it_is_refused_in_production_mode(db: None) -> None:
    with pytest.raises(CommandError, match="refused in production"):
        call_command("demo")
    assert not User.objects.exists()


def test_its_practitioners_are_open_every_day_from_8_to_20_once(db: None) -> None:
    from datetime import time

    from telegarde.scheduling.models import WeeklyAvailability

    call_command("demo")
    call_command("demo")
    for email in ("dr.martin@demo.telegarde.fr", "dr.benali@demo.telegarde.fr"):
        rules = WeeklyAvailability.objects.filter(practitioner__email=email)
        assert sorted(rules.values_list("weekday", flat=True)) == list(range(7))
        assert {(r.start_time, r.end_time) for r in rules} == {(time(8), time(20))}
