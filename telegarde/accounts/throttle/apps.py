from django.apps import AppConfig


class ThrottleConfig(AppConfig):
    name = "telegarde.accounts.throttle"
    label = "throttle"
    verbose_name = "Limitation des tentatives de connexion"
