from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "oauth"
    label = "oauth"
    verbose_name = "OAuth 2.1 and OpenID Connect"
    default_auto_field = "django.db.models.BigAutoField"
