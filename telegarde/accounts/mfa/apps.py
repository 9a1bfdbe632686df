from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MfaConfig(AppConfig):
    name = "telegarde.accounts.mfa"
    label = "mfa"
    verbose_name = _("Seconds facteurs")

    def ready(self) -> None:
        from telegarde.accounts.factors import Factor, register_factor
        from telegarde.core.vault import register_sealed_field

        from .actions import SEAL_PURPOSE, totp_context
        from .models import RecoveryCode, TotpDevice

        register_sealed_field(
            TotpDevice, "sealed_secret", totp_context, legacy_purpose=SEAL_PURPOSE
        )

        register_factor(
            Factor(
                key="totp",
                label=_("Code à usage unique (application d'authentification)"),
                is_enrolled=lambda user: TotpDevice.objects.filter(
                    user=user, confirmed_at__isnull=False
                ).exists(),
                challenge_url="mfa:totp_challenge",
            )
        )
        register_factor(
            Factor(
                key="recovery_code",
                label=_("Code de secours"),
                is_enrolled=lambda user: RecoveryCode.objects.filter(
                    user=user, used_at__isnull=True
                ).exists(),
                challenge_url="mfa:recovery_challenge",
                counts_as_enrolment=False,
            )
        )
