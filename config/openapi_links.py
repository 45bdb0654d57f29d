"""OpenAPI links of the v1 API (a drf-spectacular postprocessing hook): which response supplies the identifiers
of which later operation, so a client generator or a stateful fuzzer can walk namespace → environment →
entry → versions, files → links and downloads, change requests, webhooks and API keys.

drf-spectacular has no API for links (extend_schema and OpenApiResponse take none), so they are declared here,
where the URLconf of v1 is composed, and attached to the generated operations by operationId.
"""

from __future__ import annotations

from typing import Any

_NS = {"ns": "$request.path.ns"}
_ENV = {**_NS, "env": "$request.path.env"}

# (source operationId, status) → {target operationId: link parameters}
_LINKS: dict[tuple[str, str], dict[str, dict[str, str]]] = {
    ("namespaces_create", "201"): {
        target: {"ns": "$response.body#/slug"}
        for target in (
            "namespaces_retrieve",
            "namespaces_partial_update",
            "namespaces_destroy",
            "namespaces_environments_list",
            "namespaces_environments_create",
            "namespaces_members_list",
            "namespaces_members_create",
            "namespaces_webhooks_list",
            "namespaces_webhooks_create",
        )
    },
    ("namespaces_environments_create", "201"): {
        target: {"ns": "$response.body#/namespace", "env": "$response.body#/slug"}
        for target in (
            "namespaces_environments_retrieve",
            "namespaces_environments_partial_update",
            "namespaces_environments_destroy",
            "namespaces_environments_entries_list",
            "namespaces_environments_entries_create",
            "namespaces_environments_api_keys_list",
            "namespaces_environments_api_keys_create",
            "namespaces_environments_change_requests_list",
            "namespaces_environments_change_requests_create",
            "namespaces_environments_resolved_retrieve",
        )
    }
    | {
        "namespaces_environments_diff_retrieve": {
            "ns": "$response.body#/namespace",
            "env": "$response.body#/slug",
            "against": "$response.body#/slug",
        }
    },
    ("namespaces_environments_entries_create", "201"): {
        target: {**_ENV, "key": "$response.body#/key"}
        for target in (
            "namespaces_environments_entries_retrieve",
            "namespaces_environments_entries_versions_list",
            "namespaces_environments_entries_rollback_create",
        )
    }
    | {
        # The writes need the ETag the creation answered with (428 without, 412 when stale).
        target: {**_ENV, "key": "$response.body#/key", "header.If-Match": "$response.header.ETag"}
        for target in (
            "namespaces_environments_entries_update",
            "namespaces_environments_entries_partial_update",
            "namespaces_environments_entries_destroy",
        )
    },
    ("namespaces_environments_api_keys_create", "201"): {
        "namespaces_environments_api_keys_destroy": {**_ENV, "key_id": "$response.body#/id"}
    },
    ("namespaces_environments_change_requests_create", "201"): {
        target: {**_ENV, "id": "$response.body#/id"}
        for target in (
            "namespaces_environments_change_requests_retrieve",
            "namespaces_environments_change_requests_partial_update",
            "namespaces_environments_change_requests_approve_create",
            "namespaces_environments_change_requests_reject_create",
            "namespaces_environments_change_requests_apply_create",
        )
    },
    ("namespaces_members_create", "201"): {
        target: {**_NS, "user_id": "$response.body#/user"}
        for target in ("namespaces_members_partial_update", "namespaces_members_destroy")
    },
    ("namespaces_webhooks_create", "201"): {
        target: {**_NS, "webhook_id": "$response.body#/id"}
        for target in (
            "namespaces_webhooks_retrieve",
            "namespaces_webhooks_partial_update",
            "namespaces_webhooks_destroy",
            "namespaces_webhooks_deliveries_list",
        )
    },
    ("namespaces_webhooks_deliveries_list", "200"): {
        "namespaces_webhooks_deliveries_redeliver_create": {
            **_NS,
            "webhook_id": "$request.path.webhook_id",
            "delivery_id": "$response.body#/results/0/id",
        }
    },
    ("files_create", "201"): {
        target: {"file_id": "$response.body#/id"}
        for target in (
            "files_retrieve",
            "files_destroy",
            "files_content_retrieve",
            "files_content_update",
            "files_links_list",
            "files_links_create",
        )
    },
    ("files_links_list", "200"): {
        "files_links_destroy": {"file_id": "$request.path.file_id", "link_id": "$response.body#/results/0/id"}
    },
    ("files_links_create", "201"): {"d_retrieve": {"token": "$response.body#/token"}},  # nosec B105 - a link expression, not a password
    ("downloads_create", "201"): {
        target: {"download_id": "$response.body#/id"}
        for target in (
            "downloads_retrieve",
            "downloads_partial_update",
            "downloads_destroy",
            "downloads_complete_create",
            "downloads_content_retrieve",
        )
    },
    ("audit_events_list", "200"): {"audit_events_retrieve": {"id": "$response.body#/results/0/id"}},
    ("users_list", "200"): {"users_retrieve": {"id": "$response.body#/results/0/id"}},
}
# Links that fill a request body rather than parameters.
_BODY_LINKS: dict[tuple[str, str], dict[str, dict[str, str]]] = {
    ("files_create", "201"): {"downloads_create": {"file": "$response.body#/id"}},
}


def _link_name(target: str) -> str:
    return "".join(part.title() for part in target.split("_"))


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: attach the links above to the operations present in this schema (a
    schema of a subset of the URLconf simply has fewer)."""
    operations = {
        operation["operationId"]: operation
        for methods in result.get("paths", {}).values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for kind, table in (("parameters", _LINKS), ("requestBody", _BODY_LINKS)):
        for (source, status), targets in table.items():
            response = operations.get(source, {}).get("responses", {}).get(status)
            if response is None:
                continue
            for target, values in targets.items():
                if target in operations:
                    link = {"operationId": target, kind: dict(values)}
                    response.setdefault("links", {})[_link_name(target)] = link
    return result
