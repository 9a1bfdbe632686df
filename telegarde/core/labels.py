"""Security event actions in words, for the pages that show them to people."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "auth.login.succeeded": _("Connexion réussie"),
    "auth.login.failed": _("Échec de connexion"),
    "auth.logout": _("Déconnexion"),
    "auth.password.changed": _("Mot de passe modifié"),
    "account.user.created": _("Compte créé"),
    "account.organisation.created": _("Organisation créée"),
    "account.role.granted": _("Rôle attribué"),
    "account.role.revoked": _("Rôle retiré"),
    "account.back_office.granted": _("Accès à l'administration accordé"),
    "account.back_office.revoked": _("Accès à l'administration retiré"),
    "account.practitioner_profile.saved": _("Profil professionnel enregistré"),
    "account.patient_profile.saved": _("Identité de patient enregistrée"),
    "patient.record.viewed": _("Dossier patient consulté"),
    "admin.object.created": _("Création dans l'administration"),
    "admin.object.changed": _("Modification dans l'administration"),
    "admin.object.deleted": _("Suppression dans l'administration"),
    "core.chain.repaired": _("Journal réparé après altération"),
}
