"""Benchmark: ``telegarde keys rotate`` (re-wrapping each value's data key) against
re-encrypting every value whole (open with the old key, seal with the new one), on the
same sealed messages, in one run.

``python -m bench.key_rotation [--quick] [--values N] [--batch-size B]``

An embedded installation (SQLite in a temporary folder, or the database named by
TELEGARDE_BENCH_DATABASE_URL) gets N messages of ~1 kB sealed under an old key. Then:

1. rotation: the old key becomes a previous key, ``rotation.rotate()`` runs over every
   registered field (batches, one transaction each, conditional updates);
2. reference: the same N values rotated back by opening and re-sealing each body, in
   the same batches and transactions.

The last line is one JSON object: ``rotate_values_s``, ``reseal_values_s``, ``ratio``
(rotation / reference), ``values``, ``batch_size``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import tempfile
import time


def setup(database_url: str | None) -> str:
    var = tempfile.mkdtemp(prefix="bench-keys-")
    for key in [k for k in os.environ if k.startswith(("TELEGARDE_", "DJANGO_"))]:
        del os.environ[key]
    os.environ.update(TELEGARDE_VAR_DIR=var, DJANGO_SETTINGS_MODULE="telegarde.settings")
    if database_url:
        os.environ["TELEGARDE_DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return var


def seed(values: int) -> None:
    """``values`` messages in one thread, sealed under the current (old) key."""
    from django.db import transaction

    from telegarde.accounts.actions import do_create_organisation, do_create_user
    from telegarde.core.vault import seal_text
    from telegarde.messaging.models import Message, Thread

    org = do_create_organisation(f"Bench {secrets.token_hex(4)}", "msp", acting_user=None)
    patient = do_create_user(f"p-{secrets.token_hex(4)}@bench.invalid", None, acting_user=None)
    thread = Thread.objects.create(
        organisation=org, patient=patient, kind=Thread.Kind.PATIENT, created_by=patient
    )
    text = "Compte rendu : " + "tension normale, " * 60
    with transaction.atomic():
        for start in range(0, values, 1000):
            batch = [
                Message(thread=thread, author=patient)
                for _ in range(start, min(values, start + 1000))
            ]
            for message in batch:
                message.sealed_body = seal_text(message.context, text)
            Message.objects.bulk_create(batch)


def reseal(batch_size: int) -> int:
    """The reference: every message opened and sealed again, whole, under DATA_KEY."""
    from django.db import transaction

    from telegarde.core.vault import open_text, seal_text
    from telegarde.messaging.models import Message

    after, done = 0, 0
    while True:
        rows = list(
            Message.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "external_id", "sealed_body")[:batch_size]
        )
        if not rows:
            return done
        with transaction.atomic():
            for pk, external_id, token in rows:
                context = f"message:{external_id}"
                fresh = seal_text(context, open_text(context, token))
                done += Message.objects.filter(pk=pk, sealed_body=token).update(sealed_body=fresh)
        after = rows[-1][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 values")
    parser.add_argument("--values", type=int)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    values = args.values or (2_000 if args.quick else 10_000)
    var = setup(os.environ.get("TELEGARDE_BENCH_DATABASE_URL"))
    try:
        from django.conf import settings

        from telegarde.core import rotation

        seed(values)
        old, new = settings.DATA_KEY, secrets.token_urlsafe(48)
        settings.DATA_KEY, settings.DATA_KEYS_PREVIOUS = new, [old]

        started = time.perf_counter()
        reports = rotation.rotate(batch_size=args.batch_size)
        rotate_s = time.perf_counter() - started
        rotated = sum(r.rewrapped + r.converted for r in reports)

        settings.DATA_KEY, settings.DATA_KEYS_PREVIOUS = old, [new]
        started = time.perf_counter()
        resealed = reseal(args.batch_size)
        reseal_s = time.perf_counter() - started
    finally:
        shutil.rmtree(var, ignore_errors=True)
    figures = {
        "benchmark": "key_rotation",
        "values": values,
        "rotated": rotated,
        "batch_size": args.batch_size,
        "rotate_s": round(rotate_s, 3),
        "rotate_values_s": round(rotated / rotate_s, 1),
        "reseal_s": round(reseal_s, 3),
        "reseal_values_s": round(resealed / reseal_s, 1),
        "ratio": round((rotated / rotate_s) / (resealed / reseal_s), 3),
    }
    print(f"rotation : {rotated} values in {rotate_s:.2f} s ({figures['rotate_values_s']}/s)")
    print(f"re-seal  : {resealed} values in {reseal_s:.2f} s ({figures['reseal_values_s']}/s)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
