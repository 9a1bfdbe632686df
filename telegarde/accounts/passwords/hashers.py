"""The one hasher for new password hashes: Argon2id above OWASP's minimum.

OWASP's Password Storage Cheat Sheet asks at least 19 MiB, 2 iterations, 1 lane for
Argon2id; these parameters double the memory. Stored hashes with other parameters (the
Django defaults, older Telegarde settings) still verify and are rewritten on the next
successful sign-in, because ``must_update`` compares them with these.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # Same algorithm name as Django's: existing "argon2$argon2id$…" hashes stay readable.
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 32 * 1024  # KiB: 32 MiB
    parallelism = 1
