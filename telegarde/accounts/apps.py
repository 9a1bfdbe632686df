from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "telegarde.accounts"
    label = "accounts"
    verbose_name = "Comptes et organisations"

    def ready(self) -> None:
        # Registers the access rules and the authentication event receivers.
        from . import access, signals  # noqa: F401
