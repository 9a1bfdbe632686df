from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "telegarde.accounts.passkeys"
    label = "passkeys"
    verbose_name = "Clés d'accès (WebAuthn)"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from telegarde.accounts.factors import Factor, register_factor

        from .access import has_passkey

        register_factor(
            Factor(
                key="passkey",
                label=_("Clé d'accès"),
                is_enrolled=has_passkey,
                challenge_url="passkeys:challenge",
            )
        )
