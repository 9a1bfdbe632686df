from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "telegarde.scheduling"
    label = "scheduling"
    verbose_name = "Rendez-vous"

    def ready(self) -> None:
        # Registers the access rules.
        from . import access  # noqa: F401
