"""``telegarde demo``: a demo health centre with one person per role. Idempotent."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from telegarde.accounts.actions import (
    do_create_organisation,
    do_create_user,
    do_grant_role,
    do_set_back_office_access,
    do_set_patient_profile,
    do_set_practitioner_profile,
)
from telegarde.accounts.mfa.actions import do_enrol_known_totp
from telegarde.accounts.mfa.models import TotpDevice
from telegarde.accounts.models import Membership, Organisation, User
from telegarde.lib.identifiers import luhn_check_digit
from telegarde.scheduling.actions import do_set_weekly_availability
from telegarde.scheduling.models import ConsultationKind, WeeklyAvailability

DEMO_PASSWORD = "Tilleuls-demo-garde-2026"  # noqa: S105 - published demo credential
ORG_NAME = "Maison de santé des Tilleuls"
Role = Membership.Role


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    practitioner: dict[str, Any] = field(default_factory=dict)
    patient: dict[str, Any] = field(default_factory=dict)
    back_office: bool = False

    @property
    def professional(self) -> bool:
        return bool(set(self.roles) & Membership.PROFESSIONAL_ROLES)


def demo_totp_secret(email: str) -> str:
    """A published, per-account TOTP seed: add it to an authenticator app to sign in."""
    return base64.b32encode(
        hashlib.sha256(f"telegarde-demo:{email}".encode()).digest()[:20]
    ).decode()


def rpps(base: str) -> str:
    return base + luhn_check_digit(base)


PEOPLE = (
    Person("dr.martin@demo.telegarde.fr", "Claire", "Martin", (Role.PRACTITIONER,),
           practitioner={"rpps": rpps("1000001234"), "profession": "physician",
                         "specialty": "Médecine générale"}),
    Person("dr.benali@demo.telegarde.fr", "Karim", "Benali", (Role.PRACTITIONER,),
           practitioner={"rpps": rpps("1000005678"), "profession": "physician",
                         "specialty": "Pédiatrie"}),
    Person("secretariat@demo.telegarde.fr", "Sophie", "Laurent", (Role.STAFF,)),
    Person("securite@demo.telegarde.fr", "Julien", "Moreau",
           (Role.SECURITY_OFFICER, Role.ORG_ADMIN), back_office=True),
    Person("louise.dubois@demo.telegarde.fr", "Louise", "Dubois", (Role.PATIENT,),
           patient={"birth_last_name": "Dubois", "first_names": "Louise Marie",
                    "birth_date": date(1984, 3, 12), "sex": "F", "birthplace_code": "69123",
                    "phone": "+33612345678"}),
    Person("marc.petit@demo.telegarde.fr", "Marc", "Petit", (Role.PATIENT,),
           patient={"birth_last_name": "Petit", "first_names": "Marc",
                    "birth_date": date(1951, 11, 2), "sex": "M", "birthplace_code": "75056",
                    "phone": "+33687654321"}),
    Person("amina.diallo@demo.telegarde.fr", "Amina", "Diallo", (Role.PATIENT,),
           patient={"birth_last_name": "Diallo", "first_names": "Amina",
                    "birth_date": date(2016, 6, 25), "sex": "F", "birthplace_code": "99341"}),
)  # fmt: skip


class Command(BaseCommand):
    help = "Create (or complete) the demo health centre and print its logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("the demo data has published passwords: refused in production mode")
        with transaction.atomic():
            organisation = Organisation.objects.filter(name__iexact=ORG_NAME).first()
            if organisation is None:
                organisation = do_create_organisation(
                    ORG_NAME, Organisation.Kind.MSP, city="Lyon", acting_user=None
                )
            for person in PEOPLE:
                self._ensure(person, organisation)
        self.stdout.write(f"Organisation de démonstration : {ORG_NAME}")
        self.stdout.write(f"Mot de passe de tous les comptes : {DEMO_PASSWORD}")
        self.stdout.write(
            "Les professionnels ont un second facteur : ajoutez leur clé TOTP à une "
            "application d'authentification."
        )
        for person in PEOPLE:
            roles = ", ".join(str(Role(r).label) for r in person.roles)
            totp = f"  TOTP {demo_totp_secret(person.email)}" if person.professional else ""
            self.stdout.write(f"  {person.email:<36} {roles}{totp}")

    def _ensure(self, person: Person, organisation: Organisation) -> None:
        user = User.objects.filter(email__iexact=person.email).first()
        if user is None:
            user = do_create_user(
                person.email, DEMO_PASSWORD, first_name=person.first_name,
                last_name=person.last_name, acting_user=None,
            )  # fmt: skip
            if person.back_office:
                do_set_back_office_access(user, enabled=True, acting_user=None)
        for role in person.roles:
            do_grant_role(user, organisation, role, acting_user=None)
        if person.practitioner and not hasattr(user, "practitioner"):
            do_set_practitioner_profile(user, acting_user=None, **person.practitioner)
        if person.patient and not hasattr(user, "patient"):
            do_set_patient_profile(user, acting_user=None, **person.patient)
        if person.professional and not TotpDevice.objects.filter(user=user).exists():
            do_enrol_known_totp(user, demo_totp_secret(person.email))
        if Role.PRACTITIONER in person.roles:
            self._open_every_day(user, organisation)

    def _open_every_day(self, user: User, organisation: Organisation) -> None:
        """Every day 08:00-20:00, so that a demo patient can always book within hours."""
        if WeeklyAvailability.objects.filter(practitioner=user, organisation=organisation).exists():
            return
        membership = Membership.objects.get(
            user=user, organisation=organisation, role=Role.PRACTITIONER
        )
        for weekday in WeeklyAvailability.Weekday.values:
            do_set_weekly_availability(
                membership, weekday=weekday, start_time=time(8), end_time=time(20),
                slot_minutes=15, kinds=list(ConsultationKind.values), acting_user=None,
            )  # fmt: skip
