from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "telegarde.security.detection"
    label = "detection"
    verbose_name = "Détection"

    def ready(self) -> None:
        from telegarde.core.events import subscribe_after_commit

        from . import access  # noqa: F401 - registers the permission rules
        from .live import on_event

        subscribe_after_commit(on_event)
