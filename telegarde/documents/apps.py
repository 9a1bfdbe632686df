from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "telegarde.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        # Registers the access rules.
        from . import access  # noqa: F401
