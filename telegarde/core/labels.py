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
    "auth.passkey.registered": _("Clé d'accès ajoutée"),
    "auth.passkey.renamed": _("Clé d'accès renommée"),
    "auth.passkey.removed": _("Clé d'accès supprimée"),
    "auth.passkey.login.succeeded": _("Vérification par clé d'accès réussie"),
    "auth.passkey.login.failed": _("Échec de vérification par clé d'accès"),
    "auth.passkey.registration.failed": _("Échec d'ajout d'une clé d'accès"),
    "patient.record.viewed": _("Dossier patient consulté"),
    "admin.object.created": _("Création dans l'administration"),
    "admin.object.changed": _("Modification dans l'administration"),
    "admin.object.deleted": _("Suppression dans l'administration"),
    "core.chain.repaired": _("Journal réparé après altération"),
    # Detection (telegarde/security/detection)
    "detection.alert.raised": _("Alerte de sécurité levée"),
    "detection.alert.status_changed": _("État d'une alerte modifié"),
    "detection.alert.assigned": _("Alerte assignée"),
    "detection.alert.commented": _("Alerte commentée"),
    "detection.response.applied": _("Réponse automatique appliquée"),
    "detection.response.failed": _("Réponse automatique en échec"),
    "detection.response.reverted": _("Réponse automatique annulée"),
    "detection.response.requested": _("Réponse automatique demandée"),
    "detection.ban.requested": _("Blocage d'une adresse demandé"),
    "detection.ban.lifted": _("Blocage d'une adresse levé"),
    "detection.notification.dead": _("Notification d'alerte abandonnée"),
}
