from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "telegarde.scheduling"
    label = "scheduling"
    verbose_name = "Rendez-vous"
