"""Forms of the booking and availability pages; errors name their field."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from telegarde.accounts.models import Organisation, User

from .models import ConsultationKind, WeeklyAvailability


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put an action's error on the form: on its field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class SearchForm(forms.Form):
    specialty = forms.CharField(label=_("Spécialité ou profession"), required=False, max_length=120)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)

    def __init__(self, data: Any, organisations: list[Organisation]) -> None:
        super().__init__(data)
        self.organisations = {str(org.external_id): org for org in organisations}
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [("", _("Toutes")), *[
            (key, org.name) for key, org in self.organisations.items()
        ]]  # fmt: skip

    def chosen_organisation(self) -> Organisation | None:
        return self.organisations.get(self.cleaned_data.get("organisation") or "")


class SlotFilterForm(forms.Form):
    """What the slot page shows: a kind of consultation, a week, and (for the desk) the
    patient the booking is for."""

    kind = forms.ChoiceField(
        label=_("Type de consultation"), choices=ConsultationKind.choices, required=False
    )
    start = forms.DateField(
        label=_("À partir du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    patient = forms.ChoiceField(label=_("Patient"), required=False)

    def __init__(self, data: Any, patients: list[User] | None = None) -> None:
        super().__init__(data)
        if patients is None:
            del self.fields["patient"]
        else:
            cast(forms.ChoiceField, self.fields["patient"]).choices = [("", _("— choisir —")), *[
                (str(p.external_id), f"{p.last_name} {p.first_name} ({p.email})") for p in patients
            ]]  # fmt: skip


class BookingForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Créneau"), widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Type de consultation"), choices=ConsultationKind.choices)
    patient = forms.UUIDField(label=_("Patient"), required=False)

    def __init__(self, data: Any, *, user: User, patients: list[User] | None) -> None:
        super().__init__(data)
        self.user, self.patients = user, patients

    def clean_patient(self) -> User:
        chosen: uuid.UUID | None = self.cleaned_data.get("patient")
        if chosen is None:
            if self.patients is not None:
                raise ValidationError(_("Choisissez le patient pour qui vous réservez."))
            return self.user
        for patient in self.patients or []:
            if patient.external_id == chosen:
                return patient
        raise ValidationError(_("Ce patient n'est pas suivi par cette organisation."))


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Nouveau créneau"), widget=forms.HiddenInput)


class WeeklyAvailabilityForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Jour"), choices=WeeklyAvailability.Weekday.choices, coerce=int
    )
    start_time = forms.TimeField(label=_("Début"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Fin"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.IntegerField(
        label=_("Durée d'un créneau (minutes)"), min_value=5, max_value=240, initial=15
    )
    kinds = forms.MultipleChoiceField(
        label=_("Types de consultation"),
        choices=ConsultationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ConsultationKind.VIDEO],
    )
    valid_from = forms.DateField(
        label=_("À partir du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Jusqu'au (facultatif)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class AbsenceForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Début de l'absence"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Fin de l'absence"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=_("Motif (visible de l'équipe seulement)"), required=False, max_length=200
    )
