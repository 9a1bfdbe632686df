"""Helper of bench/flood.py, run as a subprocess with the installation's settings.

``python -m bench._flood_setup OUT PATIENTS PATIENT:PRACTITIONER ...``: for each pair
of demo accounts, an appointment starting in a few minutes (set up directly, as the
consultation browser test does: what the benchmark loads is the call, not this
booking); and PATIENTS more patient accounts (``bench-patient-N@bench.invalid``, the
demo password), so that the overhead rounds load the server with people who each stay
within a person's budget. Writes to OUT (JSON) the appointments' identifiers, the
practitioners' published TOTP seeds and the new patients' addresses.

Not a product command: it lets the benchmark set up consultations without adding one.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any


def consultations(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    from django.utils import timezone

    from telegarde.accounts.management.commands.demo import demo_totp_secret
    from telegarde.accounts.models import User
    from telegarde.scheduling.models import Appointment

    start = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    result: dict[str, Any] = {"appointments": [], "totp": {}}
    for patient_email, practitioner_email in pairs:
        patient = User.objects.get(email=patient_email)
        practitioner = User.objects.get(email=practitioner_email)
        membership = practitioner.memberships.first()
        if membership is None:
            raise SystemExit(f"{practitioner_email} belongs to no organisation")
        appointment = Appointment.objects.create(
            organisation=membership.organisation,
            practitioner=practitioner,
            patient=patient,
            starts_at=start,
            ends_at=start + timedelta(minutes=15),
            kind="video",
        )
        result["appointments"].append(str(appointment.external_id))
        result["totp"][practitioner_email] = demo_totp_secret(practitioner_email)
    return result


def patients(count: int) -> list[str]:
    from datetime import date

    from telegarde.accounts.actions import (
        do_create_user,
        do_grant_role,
        do_set_patient_profile,
    )
    from telegarde.accounts.management.commands.demo import DEMO_PASSWORD, ORG_NAME
    from telegarde.accounts.models import Membership, Organisation, User

    organisation = Organisation.objects.get(name__iexact=ORG_NAME)
    emails = [f"bench-patient-{index}@bench.invalid" for index in range(count)]
    for index, email in enumerate(emails):
        if User.objects.filter(email__iexact=email).exists():
            continue
        user = do_create_user(
            email, DEMO_PASSWORD, first_name="Patient", last_name=f"Banc {index}",
            acting_user=None,
        )  # fmt: skip
        do_grant_role(user, organisation, Membership.Role.PATIENT, acting_user=None)
        do_set_patient_profile(
            user, birth_last_name=f"Banc{index}", first_names="Patient",
            birth_date=date(1980, 1, 1), sex="F", birthplace_code="75056", acting_user=None,
        )  # fmt: skip
    return emails


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")
    import django

    django.setup()
    out, count, *specs = argv
    pairs = [tuple(spec.split(":", 1)) for spec in specs]
    figures = consultations([(patient, practitioner) for patient, practitioner in pairs])
    figures["patients"] = patients(int(count))
    Path(out).write_text(json.dumps(figures), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
