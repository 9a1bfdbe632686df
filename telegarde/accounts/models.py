"""Users, organisations, roles and the identity profiles of practitioners and patients."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telegarde.lib.identifiers import birthplace_problem, rpps_problem


class Organisation(models.Model):
    class Kind(models.TextChoices):
        MSP = "msp", _("Maison de santé pluriprofessionnelle")
        GP_PRACTICE = "gp_practice", _("Cabinet de médecine générale")
        PHARMACY = "pharmacy", _("Pharmacie")
        HOSPITAL = "hospital", _("Établissement de santé")
        REGIONAL_AGENCY = "regional_agency", _("Agence régionale de santé")
        INSURER = "insurer", _("Assureur ou complémentaire santé")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        constraints = [models.UniqueConstraint(Lower("name"), name="accounts_org_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in is case-insensitive, like the uniqueness of addresses.
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """Used by ``telegarde createsuperuser``: recorded like any back-office grant."""
        from .actions import do_create_user, do_set_back_office_access

        with transaction.atomic():
            user = do_create_user(email, password, acting_user=None, **extra)
            do_set_back_office_access(user, enabled=True, acting_user=None)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(
        _("adresse électronique"),
        unique=True,
        error_messages={"unique": _("Un compte existe déjà avec cette adresse électronique.")},
    )
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    date_joined = models.DateTimeField(default=timezone.now, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("utilisateur")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)
        clash = type(self).objects.filter(email__iexact=self.email).exclude(pk=self.pk)
        if self.email and clash.exists():
            raise ValidationError(
                {"email": _("Un compte existe déjà avec cette adresse électronique.")}
            )


class Membership(models.Model):
    """A user's role in one organisation; a person may hold several."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        PRACTITIONER = "practitioner", _("Professionnel de santé")
        STAFF = "staff", _("Secrétariat / opérateur de cabine")
        SECURITY_OFFICER = "security_officer", _("Responsable de la sécurité")
        ORG_ADMIN = "org_admin", _("Administrateur de l'organisation")

    PROFESSIONAL_ROLES: ClassVar[frozenset[str]] = frozenset(
        {Role.PRACTITIONER, Role.STAFF, Role.SECURITY_OFFICER, Role.ORG_ADMIN}
    )

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("appartenance")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="accounts_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"


def validate_rpps(value: str) -> None:
    problem = rpps_problem(value)
    if problem:
        raise ValidationError(problem, code="rpps")


def validate_birthplace(value: str) -> None:
    problem = birthplace_problem(value)
    if problem:
        raise ValidationError(problem, code="birthplace")


class PractitionerProfile(models.Model):
    class Profession(models.TextChoices):
        PHYSICIAN = "physician", _("Médecin")
        PHARMACIST = "pharmacist", _("Pharmacien")
        NURSE = "nurse", _("Infirmier")
        MIDWIFE = "midwife", _("Sage-femme")
        DENTIST = "dentist", _("Chirurgien-dentiste")
        PHYSIOTHERAPIST = "physiotherapist", _("Masseur-kinésithérapeute")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="practitioner")
    rpps = models.CharField(
        _("numéro RPPS"),
        max_length=11,
        unique=True,
        validators=[validate_rpps],
        error_messages={"unique": _("Ce numéro RPPS est déjà rattaché à un autre compte.")},
    )
    profession = models.CharField(_("profession"), max_length=32, choices=Profession.choices)
    specialty = models.CharField(_("spécialité"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("profil de professionnel de santé")

    def __str__(self) -> str:
        return f"{self.user} (RPPS {self.rpps})"


class PatientProfile(models.Model):
    """Identity traits as the national health identity (INS) uses them."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Féminin")
        MALE = "M", _("Masculin")
        UNKNOWN = "I", _("Indéterminé")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="patient")
    birth_last_name = models.CharField(_("nom de naissance"), max_length=100)
    first_names = models.CharField(_("prénoms de naissance"), max_length=200)
    used_last_name = models.CharField(_("nom utilisé"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birthplace_code = models.CharField(
        _("code du lieu de naissance (INSEE)"), max_length=5, validators=[validate_birthplace]
    )
    # Called by the practitioner when video and audio both fail (the phone fallback).
    phone = models.CharField(
        _("téléphone"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9]{6,15}$",
                _("Numéro de téléphone : chiffres seulement, avec + et l'indicatif au besoin."),
            )
        ],
    )

    class Meta:
        verbose_name = _("profil de patient")

    def __str__(self) -> str:
        return f"{self.birth_last_name} {self.first_names}"

    def clean(self) -> None:
        super().clean()
        if self.birth_date and not date(1890, 1, 1) <= self.birth_date <= timezone.localdate():
            raise ValidationError({"birth_date": _("La date de naissance n'est pas plausible.")})


class UserSession(models.Model):
    """A signed-in browser, listed to its owner, revocable ("sign out everywhere")."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_seen = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("session ouverte")

    def __str__(self) -> str:
        return f"{self.user} @ {self.ip}"
