"""Helper of bench/credential_stuffing.py, run as a subprocess with the project's settings.

``python -m bench._stuffing_setup setup SPEC OUT``: migrate, collect static files, then
create the accounts listed in SPEC (JSON: email, password, totp secret or null), each
password checked against the product's policy first; writes to OUT the CPU time one
password check costs (Argon2, measured here, same hasher and parameters as the server).

``python -m bench._stuffing_setup count OUT``: writes to OUT the sign-in events recorded
so far: failed attempts (bad credentials) per typed address, password sign-ins, and
throttled attempts, read from the event log.

Not a product command: it exists so the benchmark can build its accounts fast (one
Argon2 hash per distinct password, not per account) without adding commands to the app.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HASH_SAMPLES = 8


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")
    import django

    django.setup()


def setup(spec_path: Path, out_path: Path) -> None:
    from django.contrib.auth.hashers import check_password, make_password
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.management import call_command

    from telegarde.accounts.mfa.actions import do_enrol_known_totp
    from telegarde.accounts.models import User

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    spec: list[dict[str, Any]] = json.loads(spec_path.read_text(encoding="utf-8"))
    hashes: dict[str, str] = {}
    refused: list[str] = []
    for entry in spec:
        user = User(email=entry["email"])
        try:
            validate_password(entry["password"], user)
        except ValidationError as error:
            refused.append(f"{entry['email']}: {'; '.join(error.messages)}")
        if entry["password"] not in hashes:
            hashes[entry["password"]] = make_password(entry["password"])
    if refused:
        raise SystemExit("passwords refused by the policy:\n" + "\n".join(refused))
    # One hash per distinct password: the accounts that share a (strong, unlisted)
    # password share its hash, which changes nothing for an attacker who never finds it.
    User.objects.bulk_create(
        [User(email=entry["email"], password=hashes[entry["password"]]) for entry in spec]
    )
    users = {user.email: user for user in User.objects.all()}
    for entry in spec:
        if entry["totp"]:
            do_enrol_known_totp(users[entry["email"]], entry["totp"])
    encoded = next(iter(hashes.values()))
    started = time.process_time()
    for _ in range(HASH_SAMPLES):
        check_password("not the password", encoded)
    per_hash = (time.process_time() - started) / HASH_SAMPLES
    out_path.write_text(json.dumps({"hash_cpu_s": per_hash}), encoding="utf-8")


def count(out_path: Path) -> None:
    from telegarde.core.models import SecurityEvent

    failed: Counter[str] = Counter()
    failed_by_ip: Counter[str] = Counter()
    for data, ip in SecurityEvent.objects.filter(
        action="auth.login.failed", data__reason="bad_credentials"
    ).values_list("data", "source_ip"):
        failed[str(data.get("email", "")).lower()] += 1
        failed_by_ip[str(ip)] += 1
    methods: Counter[str] = Counter(
        str(data.get("method", ""))
        for data in SecurityEvent.objects.filter(action="auth.login.succeeded").values_list(
            "data", flat=True
        )
    )
    throttled = SecurityEvent.objects.filter(action="auth.throttled").count()
    out_path.write_text(
        json.dumps(
            {
                "failed": dict(failed),
                "failed_by_ip": dict(failed_by_ip),
                "logins_by_method": dict(methods),
                "throttled": throttled,
            }
        ),
        encoding="utf-8",
    )


def main(argv: list[str]) -> None:
    _django()
    if argv[:1] == ["setup"] and len(argv) == 3:
        setup(Path(argv[1]), Path(argv[2]))
    elif argv[:1] == ["count"] and len(argv) == 2:
        count(Path(argv[1]))
    else:
        raise SystemExit("usage: python -m bench._stuffing_setup setup SPEC OUT | count OUT")


if __name__ == "__main__":
    main(sys.argv[1:])
