from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    """No models: an app only so that its templates are found."""

    name = "telegarde.accounts.recovery"
    label = "accounts_recovery"
