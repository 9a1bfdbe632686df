from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "telegarde.messaging"
    label = "messaging"
    verbose_name = "Messagerie sécurisée"

    def ready(self) -> None:
        from telegarde.core.vault import register_sealed_field

        from . import access  # noqa: F401  (registers the access rules)
        from .models import Message

        register_sealed_field(Message, "sealed_body", lambda m: m.context)
