"""The admin for clients, grants and tokens: django-oauth-toolkit's (tokens masked), plus each client's
allowed scopes and an audit event for every revocation made here."""

from __future__ import annotations

from django.contrib import admin
from oauth2_provider import admin as dot_admin
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model

from audit.services import record
from oauth.models import ClientScopes


class ClientScopesInline(admin.StackedInline):
    model = ClientScopes
    extra = 0
    max_num = 1
    can_delete = True


class ApplicationAdmin(dot_admin.ApplicationAdmin):
    inlines = [ClientScopesInline]


def _audited_revocation(base: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    class Audited(base):  # type: ignore[valid-type,misc]
        @admin.action(description=base.revoke_tokens.short_description)
        def revoke_tokens(self, request, queryset) -> None:
            tokens = list(queryset.select_related("application"))
            super().revoke_tokens(request, queryset)
            for token in tokens:
                record(
                    "oauth.token.revoked",
                    target=token.application,
                    metadata={"client_id": getattr(token.application, "client_id", ""), "channel": "admin"},
                    request=request,
                )

    Audited.__name__ = base.__name__
    return Audited


for model, model_admin in (
    (get_application_model(), ApplicationAdmin),
    (get_access_token_model(), _audited_revocation(dot_admin.AccessTokenAdmin)),
    (get_refresh_token_model(), _audited_revocation(dot_admin.RefreshTokenAdmin)),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
