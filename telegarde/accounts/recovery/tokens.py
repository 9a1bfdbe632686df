"""Links that prove control of a mailbox: password reset and registration.

Reset tokens are Django's: an HMAC over the user's id, password hash, last sign-in and
address with a timestamp, so one is void once the password changes (single use, and any
other change of password voids it too) and after ``PASSWORD_RESET_TIMEOUT``. Links name
the user by their public UUID, never the integer key (STYLE §9).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from telegarde.accounts.models import User

REGISTRATION_SALT = "telegarde.accounts.recovery.registration"


class ResetTokens(PasswordResetTokenGenerator):
    key_salt = "telegarde.accounts.recovery.ResetTokens"

    def problem(self, user: User | None, token: str) -> str | None:
        """Why ``token`` is refused: ``unknown_user``, ``expired``, ``invalid_or_used``."""
        if user is None:
            return "unknown_user"
        if self.check_token(user, token):
            return None
        try:
            ts_b36, _ = token.split("-", 1)
            ts = base36_to_int(ts_b36)
        except ValueError:
            return "invalid_or_used"
        if constant_time_compare(self._make_token_with_timestamp(user, ts, self.secret), token):
            return "expired"
        return "invalid_or_used"


reset_tokens = ResetTokens()


def uid_for(user: User) -> str:
    return urlsafe_base64_encode(user.external_id.bytes)


def user_for(uidb64: str) -> User | None:
    try:
        external_id = uuid.UUID(bytes=urlsafe_base64_decode(uidb64))
    except ValueError:
        return None
    return User.objects.filter(external_id=external_id, is_active=True).first()


def registration_token(email: str) -> str:
    return signing.dumps({"email": email}, salt=REGISTRATION_SALT, compress=True)


def registration_email(token: str) -> str:
    """The address a registration link was sent to; raises ``signing.BadSignature``
    (``SignatureExpired`` when too old)."""
    data = signing.loads(
        token, salt=REGISTRATION_SALT, max_age=int(settings.REGISTRATION_LINK_MAX_AGE)
    )
    return str(data["email"])
