"""Helper of bench/flood.py, run as a subprocess with the installation's settings.

``python -m bench._flood_setup OUT PATIENT:PRACTITIONER ...``: for each pair of demo
accounts, an appointment starting in a few minutes (set up directly, as the consultation
browser test does: what the benchmark loads is the call, not this booking); writes to OUT
(JSON) the appointments' identifiers and the practitioners' published TOTP seeds.

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


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")
    import django

    django.setup()
    out, *specs = argv
    pairs = [tuple(spec.split(":", 1)) for spec in specs]
    figures = consultations([(patient, practitioner) for patient, practitioner in pairs])
    Path(out).write_text(json.dumps(figures), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
