"""Forms of the registration and reset pages; password fields carry the size guard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from telegarde.accounts.models import Organisation, PatientProfile, User
from telegarde.accounts.passwords.forms import BoundedPasswordsMixin

# Organisations where patients are cared for (agencies and insurers are not).
PATIENT_FACING_KINDS = (
    Organisation.Kind.MSP,
    Organisation.Kind.GP_PRACTICE,
    Organisation.Kind.PHARMACY,
    Organisation.Kind.HOSPITAL,
)


def organisations_open_to_patients() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=PATIENT_FACING_KINDS).order_by("name")


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class RegistrationForm(BoundedPasswordsMixin, forms.Form):
    """Identity traits (as the national health identity uses them) and a password."""

    birth_last_name = forms.CharField(label=_("Nom de naissance"), max_length=100)
    first_names = forms.CharField(label=_("Prénoms de naissance"), max_length=200)
    used_last_name = forms.CharField(label=_("Nom utilisé"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=PatientProfile.Sex.choices)
    birthplace_code = forms.CharField(
        label=_("Code du lieu de naissance (INSEE)"),
        max_length=5,
        help_text=_("Code INSEE de la commune, ou 99 suivi du code du pays si né à l'étranger."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Établissement qui vous suit"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Aucun pour l'instant"),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "data-password-meter": ""}
        ),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["organisation"].queryset = organisations_open_to_patients()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        elif first:
            # An unsaved user carries the details the password must not contain.
            future = User(
                email=self.email,
                first_name=data.get("first_names", ""),
                last_name=f"{data.get('birth_last_name', '')} {data.get('used_last_name', '')}",
            )
            try:
                validate_password(first, future)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
