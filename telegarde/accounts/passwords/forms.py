"""Form pieces that keep oversized passwords away from the hasher and the estimator."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError

from .policy import is_oversized, oversized_message


def refuse_oversized(value: str) -> None:
    """Field validator: runs before ``clean_<field>``, so before any hash is computed."""
    if is_oversized(value):
        raise ValidationError(oversized_message(), code="too_long")


class BoundedPasswordsMixin:
    """Adds the size guard to every password input of the form."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.PasswordInput):
                field.validators.append(refuse_oversized)
                field.widget.attrs.setdefault("maxlength", "1024")


class SetPasswordForm(BoundedPasswordsMixin, auth_forms.SetPasswordForm):  # type: ignore[type-arg]
    """A new password twice, checked against the policy for this user."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["data-password-meter"] = ""


class PasswordChangeForm(BoundedPasswordsMixin, auth_forms.PasswordChangeForm):
    """The current password (size-checked before it is hashed) and a new one twice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["data-password-meter"] = ""
