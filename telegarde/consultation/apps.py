from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "telegarde.consultation"
    label = "consultation"
    verbose_name = "Téléconsultation"

    def ready(self) -> None:
        from . import access  # noqa: F401  (registers the access rules)
