from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "telegarde.consultation"
    label = "consultation"
    verbose_name = "Téléconsultation"

    def ready(self) -> None:
        from telegarde.core.vault import register_sealed_field

        from . import access  # noqa: F401  (registers the access rules)
        from .models import ChatMessage, ConsultationNote

        register_sealed_field(ChatMessage, "sealed_body", lambda m: f"chat:{m.external_id}")
        register_sealed_field(ConsultationNote, "sealed_body", lambda n: f"note:{n.external_id}")
