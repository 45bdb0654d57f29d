"""What django-oauth-toolkit's Application lacks: the scopes a client may ask for (its ceiling)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from oauth2_provider.settings import oauth2_settings


def _known_scopes(value: str) -> None:
    unknown = set(value.split()) - set(settings.OAUTH_SCOPES)
    if unknown:
        raise ValidationError(f"Unknown scopes: {' '.join(sorted(unknown))}")


class ClientScopes(models.Model):
    """The scopes one client may request; a client without a row may request every scope."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="allowed_scopes"
    )
    scopes = models.TextField(validators=[_known_scopes], help_text="Space-separated scope names.")

    class Meta:
        verbose_name = "allowed scopes"
        verbose_name_plural = "allowed scopes"

    def __str__(self) -> str:
        return self.scopes
