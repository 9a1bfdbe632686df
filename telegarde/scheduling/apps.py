from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "telegarde.scheduling"
    label = "scheduling"
    verbose_name = "Rendez-vous"

    def ready(self) -> None:
        # Registers the access rules and the sign-in priority receiver.
        from . import access, signals  # noqa: F401
