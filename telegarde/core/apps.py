from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "telegarde.core"
    label = "core"
    verbose_name = "Telegarde — noyau"
