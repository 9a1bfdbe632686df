from django.apps import AppConfig


class ShieldConfig(AppConfig):
    name = "telegarde.security.shield"
    label = "shield"
    verbose_name = "Telegarde — bouclier"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access  # noqa: F401 - registers the permission rules
