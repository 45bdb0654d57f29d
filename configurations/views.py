"""HTTP views of the configuration service: validate, call one service or selector, serialize."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import SessionJWTAuthentication
from configurations import access, resolved, resolved_extras, selectors, services, watch
from configurations.authentication import ApiKeyAuthentication, ApiKeyPrincipal
from configurations.models import ApiKey, Entry, Environment, Namespace
from configurations.permissions import ConfigurationPermission
from configurations.serializers import (
    ApiKeyCreatedOutputSerializer,
    ApiKeyCreateInputSerializer,
    ApiKeyOutputSerializer,
    ConfigurationDeleteQueryInputSerializer,
    EntryCreateInputSerializer,
    EntryOutputSerializer,
    EntryPatchInputSerializer,
    EntryPutInputSerializer,
    EntryRollbackInputSerializer,
    EntryVersionOutputSerializer,
    EnvironmentCreateInputSerializer,
    EnvironmentOutputSerializer,
    EnvironmentUpdateInputSerializer,
    NamespaceCreateInputSerializer,
    NamespaceOutputSerializer,
    NamespaceUpdateInputSerializer,
)
from core.errors import ApplicationError, PreconditionRequiredError
from core.permissions import PUBLIC
from core.schema import problem
from core.views import ApiViewSet, validated

ETAG_HEADER = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=True, description="Strong entity tag."
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The entry's ETag from a GET; required (428 without, 412 when stale).",
)
STALE = problem("If-Match does not match the current version (precondition_failed).")
PROTECTED = problem("The environment is protected: use a change request (change_request_required).")
MISSING_IF_MATCH = problem("If-Match is missing (precondition_required).")


class ConfigurationViewSet(ApiViewSet):
    """Base of the app's views: permissions by action. An API key authenticates everywhere here, so that it
    gets a 403 (not a 401) outside `api_key_actions`; ConfigurationPermission confines it to those."""

    authentication_classes = [SessionJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [ConfigurationPermission]
    api_key_actions: frozenset[str] = frozenset()
    action_permissions: dict[str, list[str]] = {}

    def get_throttles(self) -> list:
        # A machine client reading its environment costs one cache round trip; the user throttle would
        # add two more (a read and a write) to every request.
        if isinstance(getattr(self.request, "auth", None), ApiKeyPrincipal):
            return []
        return super().get_throttles()

    def environment(self) -> Environment:
        return selectors.environment_get(namespace_slug=self.kwargs["ns"], slug=self.kwargs["env"])

    def reveals(self, request: Request | None = None) -> bool:
        request = request or self.request
        if isinstance(request.auth, ApiKeyPrincipal):
            return True
        return access.has_namespace_perms(
            user=request.user,
            namespace_slug=self.kwargs.get("ns", ""),
            permissions=["configurations.reveal_secret"],
        )

    def audit_reveal(self, target: models.Model, keys: list[str]) -> None:
        """A user shown secrets in clear is audited; an API key reading its environment is not."""
        if keys and self.reveals() and not isinstance(self.request.auth, ApiKeyPrincipal):
            services.secret_reveal_record(target=target, keys=keys, request=self.request)


def _slug_views(output: type, create_input: type, update_input: type, noun: str) -> dict[str, Any]:
    """extend_schema per action for the namespace and environment views (same shapes, other nouns)."""
    return {
        "list": extend_schema(summary=f"List {noun}s", responses={200: output(many=True)}),
        "create": extend_schema(
            summary=f"Create a {noun} (admin)",
            request=create_input,
            responses={201: output, 409: problem(f"A {noun} with this slug exists.")},
        ),
        "retrieve": extend_schema(summary=f"Get a {noun}", responses={200: output}),
        "partial_update": extend_schema(
            summary=f"Change a {noun}'s description (admin; the slug is immutable)",
            request=update_input,
            responses={200: output},
        ),
        "destroy": extend_schema(
            summary=f"Delete a {noun} (admin): an empty one, or with ?recursive=true all below it",
            parameters=[ConfigurationDeleteQueryInputSerializer],
            responses={204: None, 409: problem(f"The {noun} is not empty (`not_empty`) and recursive is not true.")},
        ),
    }


_NAMESPACE_SCHEMA = _slug_views(
    NamespaceOutputSerializer, NamespaceCreateInputSerializer, NamespaceUpdateInputSerializer, "namespace"
)


class NamespaceViewSet(ConfigurationViewSet):
    """Namespaces: one per service or application; admins manage them, everyone with a role reads."""

    lookup_url_kwarg = "ns"
    lookup_value_converter = "cfgslug"
    queryset = Namespace.objects.none()  # for the schema generator only; reads go through selectors
    action_permissions = {
        "list": PUBLIC,  # scoped: a global reader sees all, anyone else the namespaces they are a member of
        "retrieve": ["configurations.view_namespace"],
        "create": ["configurations.add_namespace"],
        "partial_update": ["configurations.change_namespace"],
        "destroy": ["configurations.delete_namespace"],
    }

    @_NAMESPACE_SCHEMA["list"]
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.namespace_list(user=request.user))
        return self.get_paginated_response(NamespaceOutputSerializer(page, many=True).data)

    @_NAMESPACE_SCHEMA["create"]
    def create(self, request: Request) -> Response:
        data = validated(NamespaceCreateInputSerializer, request)
        namespace = services.namespace_create(**data, actor=request.user, request=request)
        return Response(NamespaceOutputSerializer(namespace).data, status=status.HTTP_201_CREATED)

    @_NAMESPACE_SCHEMA["retrieve"]
    def retrieve(self, request: Request, ns: str) -> Response:
        return Response(NamespaceOutputSerializer(selectors.namespace_get(slug=ns)).data)

    @_NAMESPACE_SCHEMA["partial_update"]
    def partial_update(self, request: Request, ns: str) -> Response:
        namespace = selectors.namespace_get(slug=ns)
        data = validated(NamespaceUpdateInputSerializer, request)
        description = data.get("description", namespace.description)
        namespace = services.namespace_update(
            namespace=namespace, description=description, actor=request.user, request=request
        )
        return Response(NamespaceOutputSerializer(namespace).data)

    @_NAMESPACE_SCHEMA["destroy"]
    def destroy(self, request: Request, ns: str) -> Response:
        namespace = selectors.namespace_get(slug=ns)
        recursive = _recursive(request)
        services.namespace_delete(namespace=namespace, recursive=recursive, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


_ENVIRONMENT_SCHEMA = _slug_views(
    EnvironmentOutputSerializer, EnvironmentCreateInputSerializer, EnvironmentUpdateInputSerializer, "environment"
)


class EnvironmentViewSet(ConfigurationViewSet):
    """Environments of a namespace (development, production, ...)."""

    lookup_url_kwarg = "env"
    lookup_value_converter = "cfgslug"
    queryset = Environment.objects.none()
    action_permissions = {
        "list": ["configurations.view_environment"],
        "retrieve": ["configurations.view_environment"],
        "create": ["configurations.add_environment"],
        "partial_update": ["configurations.change_environment"],
        "destroy": ["configurations.delete_environment"],
    }

    @_ENVIRONMENT_SCHEMA["list"]
    def list(self, request: Request, ns: str) -> Response:
        environments = selectors.environment_list(namespace=selectors.namespace_get(slug=ns))
        page = self.paginate_queryset(environments)
        return self.get_paginated_response(EnvironmentOutputSerializer(page, many=True).data)

    @_ENVIRONMENT_SCHEMA["create"]
    def create(self, request: Request, ns: str) -> Response:
        namespace = selectors.namespace_get(slug=ns)
        data = validated(EnvironmentCreateInputSerializer, request)
        environment = services.environment_create(namespace=namespace, **data, actor=request.user, request=request)
        return Response(EnvironmentOutputSerializer(environment).data, status=status.HTTP_201_CREATED)

    @_ENVIRONMENT_SCHEMA["retrieve"]
    def retrieve(self, request: Request, ns: str, env: str) -> Response:
        return Response(EnvironmentOutputSerializer(self.environment()).data)

    @_ENVIRONMENT_SCHEMA["partial_update"]
    def partial_update(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        data = validated(EnvironmentUpdateInputSerializer, request)
        environment = services.environment_update(environment=environment, actor=request.user, request=request, **data)
        return Response(EnvironmentOutputSerializer(environment).data)

    @_ENVIRONMENT_SCHEMA["destroy"]
    def destroy(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        recursive = _recursive(request)
        services.environment_delete(environment=environment, recursive=recursive, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _recursive(request: Request) -> bool:
    return validated(ConfigurationDeleteQueryInputSerializer, request, query=True)["recursive"] == "true"


def _if_match(request: Request, *, required: bool = True) -> list[str] | None:
    header = request.META.get("HTTP_IF_MATCH")
    if header is None:
        if required:
            raise PreconditionRequiredError("Send If-Match with the entry's ETag.")
        return None
    return parse_etags(header)


class EntryViewSet(ConfigurationViewSet):
    """Typed, versioned entries; writes need If-Match (optimistic concurrency). Secrets are masked for viewers."""

    lookup_url_kwarg = "key"
    lookup_value_converter = "cfgkey"
    queryset = Entry.objects.none()
    api_key_actions = frozenset({"list", "retrieve", "versions"})
    action_permissions = {
        "list": ["configurations.view_entry"],
        "retrieve": ["configurations.view_entry"],
        "create": ["configurations.add_entry"],
        "update": ["configurations.change_entry"],
        "partial_update": ["configurations.change_entry"],
        "rollback": ["configurations.change_entry"],
        "destroy": ["configurations.delete_entry"],
        "versions": ["configurations.view_entryversion"],
    }

    def _entry_response(self, entry, status_code: int = status.HTTP_200_OK) -> Response:
        reveal = self.reveals()
        if entry.secret:
            self.audit_reveal(entry, [entry.key])
        body = EntryOutputSerializer(entry, context={"reveal": reveal}).data
        return Response(body, status=status_code, headers={"ETag": entry.etag})

    @extend_schema(summary="List the entries of an environment", responses={200: EntryOutputSerializer(many=True)})
    def list(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        page = self.paginate_queryset(selectors.entry_list(environment=environment))
        self.audit_reveal(environment, [entry.key for entry in page if entry.secret])
        body = EntryOutputSerializer(page, many=True, context={"reveal": self.reveals()}).data
        return self.get_paginated_response(body)

    @extend_schema(
        summary="Create an entry (version 1)",
        request=EntryCreateInputSerializer,
        responses={
            201: EntryOutputSerializer,
            409: problem("The environment has an entry with this key, or is protected (change_request_required)."),
        },
        parameters=[ETAG_HEADER],
    )
    def create(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        data = validated(EntryCreateInputSerializer, request)
        entry = services.entry_create(environment=environment, **data, actor=request.user, request=request)
        return self._entry_response(entry, status.HTTP_201_CREATED)

    def prefetch_cache_keys(self, kwargs: dict[str, str], *, api_key: bool) -> list[str]:
        """One entry's GET: its environment's marker, read in the authentication's round trip."""
        return [resolved.marker_key(kwargs["ns"], kwargs["env"])] if self.action == "retrieve" else []

    @extend_schema(summary="Get an entry", responses={200: EntryOutputSerializer}, parameters=[ETAG_HEADER])
    def retrieve(self, request: Request, ns: str, env: str, key: str) -> Response:
        prefetched = getattr(request, "prefetched_cache", None)
        marker = resolved.storable_marker(ns, env, prefetched) if prefetched is not None else ""
        entry = selectors.entry_get_by_path(namespace_slug=ns, environment_slug=env, key=key, marker=marker)
        return self._entry_response(entry)

    @extend_schema(
        summary="Replace an entry's value (If-Match required)",
        request=EntryPutInputSerializer,
        responses={200: EntryOutputSerializer, 409: PROTECTED, 412: STALE, 428: MISSING_IF_MATCH},
        parameters=[IF_MATCH, ETAG_HEADER],
    )
    def update(self, request: Request, ns: str, env: str, key: str) -> Response:
        return self._write(request, key, EntryPutInputSerializer)

    @extend_schema(
        summary="Change some fields of an entry (If-Match required)",
        request=EntryPatchInputSerializer,
        responses={200: EntryOutputSerializer, 409: PROTECTED, 412: STALE, 428: MISSING_IF_MATCH},
        parameters=[IF_MATCH, ETAG_HEADER],
    )
    def partial_update(self, request: Request, ns: str, env: str, key: str) -> Response:
        return self._write(request, key, EntryPatchInputSerializer)

    def _write(self, request: Request, key: str, serializer_class: type) -> Response:
        try:
            if_match = _if_match(request)
            fields = validated(serializer_class, request)
        except (ApplicationError, APIException):
            # The entry is looked up only under its lock (the service), but a missing one is 404 before a
            # missing If-Match (428) or a bad body (400): that costs the look-up on the error path alone.
            selectors.entry_get(environment=self.environment(), key=key)
            raise
        entry = services.entry_update_by_path(
            namespace_slug=self.kwargs["ns"],
            environment_slug=self.kwargs["env"],
            key=key,
            if_match=if_match,
            fields=fields,
            actor=request.user,
            request=request,
        )
        return self._entry_response(entry)

    @extend_schema(
        summary="Delete an entry (If-Match required; its history is kept)",
        responses={204: None, 409: PROTECTED, 412: STALE, 428: MISSING_IF_MATCH},
        parameters=[IF_MATCH],
    )
    def destroy(self, request: Request, ns: str, env: str, key: str) -> Response:
        entry = selectors.entry_get(environment=self.environment(), key=key)
        services.entry_delete(entry=entry, if_match=_if_match(request), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Every version of an entry, newest first", responses={200: EntryVersionOutputSerializer(many=True)}
    )
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, ns: str, env: str, key: str) -> Response:
        entry = selectors.entry_get(environment=self.environment(), key=key)
        page = self.paginate_queryset(selectors.entry_version_list(entry=entry))
        self.audit_reveal(entry, [entry.key] if any(v.secret for v in page) or entry.secret else [])
        context = {"reveal": self.reveals(), "entry_secret": entry.secret}
        return self.get_paginated_response(EntryVersionOutputSerializer(page, many=True, context=context).data)

    @extend_schema(
        summary="Roll back: a new version with an earlier version's value",
        request=EntryRollbackInputSerializer,
        responses={200: EntryOutputSerializer, 409: PROTECTED, 412: STALE},
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Optional: the entry's ETag; 412 when stale.",
            ),
            ETAG_HEADER,
        ],
    )
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, ns: str, env: str, key: str) -> Response:
        entry = selectors.entry_get(environment=self.environment(), key=key)
        if_match = _if_match(request, required=False)
        data = validated(EntryRollbackInputSerializer, request)
        entry = services.entry_rollback(
            entry=entry, version=data["version"], if_match=if_match, actor=request.user, request=request
        )
        return self._entry_response(entry)


class ResolvedViewSet(ConfigurationViewSet):
    """The resolved document, served from the cache with a strong ETag; API keys of the environment may read it."""

    queryset = Entry.objects.none()
    api_key_actions = frozenset({"resolved"})
    action_permissions = {"resolved": ["configurations.view_entry"]}

    def prefetch_cache_keys(self, kwargs: dict[str, str], *, api_key: bool) -> list[str]:
        """Read in the authentication's round trip (core.cache.view_prefetch_keys): an API key's document (it
        sees it in clear), or a user's marker alone (which variant the user sees is known only later)."""
        if api_key:
            return resolved.cache_keys(kwargs["ns"], kwargs["env"], clear=True)
        return [resolved.marker_key(kwargs["ns"], kwargs["env"])]

    @extend_schema(
        summary="The environment as one flat JSON object {key: value}; watch it, or see it at an instant",
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="A previous ETag: 304 when the document is unchanged.",
            ),
            OpenApiParameter(
                "Prefer",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="`wait=N` (1 to 60) with a matching If-None-Match: held until the document changes "
                "(200) or N seconds pass (304).",
            ),
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                OpenApiParameter.QUERY,
                description="ISO 8601: the document as it was then (not in the future).",
            ),
            ETAG_HEADER,
            OpenApiParameter(
                "Preference-Applied",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=True,
                description="`wait=N` when the request was held.",
            ),
        ],
        responses={
            200: OpenApiResponse({"type": "object", "additionalProperties": {}}, description="The document."),
            304: OpenApiResponse(description="Not modified."),
        },
    )
    @action(detail=False, methods=["get"])
    def resolved(self, request: Request, ns: str, env: str) -> HttpResponse:
        api_key = isinstance(request.auth, ApiKeyPrincipal)
        clear = self.reveals()
        if request.GET:
            return resolved_extras.at_response(self, request, clear=clear)
        prefetched = getattr(request, "prefetched_cache", None)
        document = resolved.resolved_document(namespace=ns, environment=env, clear=clear, prefetched=prefetched)
        headers = resolved.answer_headers(document)
        if resolved.not_modified(document, request.META.get("HTTP_IF_NONE_MATCH")):
            wait = watch.parse_wait(request.META.get("HTTP_PREFER", ""))
            if wait:
                return resolved_extras.watch_response(self, document=document, headers=headers, wait=wait, clear=clear)
            return HttpResponseNotModified(headers=headers)
        if clear and document.secret_keys and not api_key:
            self.audit_reveal(self.environment(), list(document.secret_keys))
        return HttpResponse(document.body, content_type="application/json", headers=headers)


class ApiKeyViewSet(ConfigurationViewSet):
    """Read-only API keys of an environment for machine clients (`Authorization: Api-Key <key>`)."""

    lookup_url_kwarg = "key_id"
    lookup_value_converter = "uuid"
    queryset = ApiKey.objects.none()
    action_permissions = {
        "list": ["configurations.view_apikey"],
        "create": ["configurations.add_apikey"],
        "destroy": ["configurations.delete_apikey"],
    }

    @extend_schema(
        summary="List an environment's API keys (never the keys themselves)",
        responses={200: ApiKeyOutputSerializer(many=True)},
    )
    def list(self, request: Request, ns: str, env: str) -> Response:
        page = self.paginate_queryset(selectors.api_key_list(environment=self.environment()))
        return self.get_paginated_response(ApiKeyOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a read-only API key; the key is in this response only",
        request=ApiKeyCreateInputSerializer,
        responses={201: ApiKeyCreatedOutputSerializer},
    )
    def create(self, request: Request, ns: str, env: str) -> Response:
        environment = self.environment()
        data = validated(ApiKeyCreateInputSerializer, request)
        api_key, raw_key = services.api_key_create(
            environment=environment,
            name=data["name"],
            expires_at=data.get("expires_at"),
            actor=request.user,
            request=request,
        )
        api_key.key = raw_key
        return Response(ApiKeyCreatedOutputSerializer(api_key).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke an API key (at once, on every instance)", responses={204: None})
    def destroy(self, request: Request, ns: str, env: str, key_id: uuid.UUID) -> Response:
        api_key = selectors.api_key_get(environment=self.environment(), key_id=key_id)
        services.api_key_revoke(api_key=api_key, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
