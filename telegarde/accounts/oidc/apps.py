from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "telegarde.accounts.oidc"
    label = "oidc"
    verbose_name = "OpenID Connect (Pro Santé Connect)"
