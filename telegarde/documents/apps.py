from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "telegarde.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from telegarde.core.vault import register_sealed_field

        # Registers the access rules.
        from . import access  # noqa: F401
        from .models import Document
        from .storage import key_context

        # Per-document data keys: re-wrapped by `telegarde keys rotate` (docs/messaging.md).
        register_sealed_field(Document, "data_key", lambda d: key_context(d.external_id))
