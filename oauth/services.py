"""Registering OAuth clients (the `oauth_client_create` command; the admin edits them afterwards)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AbstractApplication, get_application_model

from accounts.models import User
from audit.services import record
from core.errors import ApplicationError
from oauth.models import ClientScopes

GRANTS = {
    "authorization-code": AbstractApplication.GRANT_AUTHORIZATION_CODE,
    "client-credentials": AbstractApplication.GRANT_CLIENT_CREDENTIALS,
}


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str | None  # shown once; None for a public client


@transaction.atomic
def client_create(
    *,
    name: str,
    grant: str,
    redirect_uris: list[str],
    public: bool = False,
    scopes: list[str] | None = None,
    owner_email: str | None = None,
) -> ClientCredentials:
    """Register a client; its secret (confidential clients) is returned here once and stored hashed."""
    if grant not in GRANTS:
        raise ApplicationError(f"grant must be one of {', '.join(GRANTS)}", code="invalid_grant")
    if grant == "client-credentials" and (public or not owner_email):
        raise ApplicationError("a client-credentials client is confidential and acts for an --owner", code="invalid")
    if grant == "authorization-code" and not redirect_uris:
        raise ApplicationError("an authorization-code client needs at least one --redirect-uri", code="invalid")
    unknown = set(scopes or []) - set(settings.OAUTH_SCOPES)
    if unknown:
        raise ApplicationError(f"unknown scopes: {' '.join(sorted(unknown))}", code="invalid_scope")
    owner = None
    if owner_email:
        owner = User.objects.filter(email__iexact=owner_email, is_active=True).first()
        if owner is None:
            raise ApplicationError(f"no active user {owner_email}", code="not_found")
    secret = None if public else generate_client_secret()
    application = get_application_model()(
        name=name,
        user=owner,
        client_type=AbstractApplication.CLIENT_PUBLIC if public else AbstractApplication.CLIENT_CONFIDENTIAL,
        authorization_grant_type=GRANTS[grant],
        redirect_uris=" ".join(redirect_uris),
        client_secret=secret or "",
        algorithm=AbstractApplication.RS256_ALGORITHM if grant == "authorization-code" else "",
    )
    try:
        application.full_clean()
    except ValidationError as error:
        raise ApplicationError("; ".join(error.messages), code="invalid") from error
    application.save()
    if scopes:
        ClientScopes.objects.create(application=application, scopes=" ".join(scopes))
    record(
        "oauth.client.created",
        actor=owner,
        target=application,
        metadata={"client_id": application.client_id, "grant": grant, "public": public, "scopes": scopes or []},
        request=None,
    )
    return ClientCredentials(application.client_id, secret)
