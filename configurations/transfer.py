"""Export and import of whole namespaces (configs_export / configs_import).

The document: {"namespace": slug, "description": ..., "environments": [{"slug", "description",
"entries": [{"key", "value_type", "value", "schema", "description", "secret"}]}]}. Secret values are
exported only on request; an imported secret entry without a value keeps its current value.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from configurations import selectors, services
from configurations.crypto import stored_value
from configurations.models import Entry, Environment, Namespace
from configurations.serializers import EntryCreateInputSerializer, NamespaceCreateInputSerializer
from core.errors import ValidationError

ENTRY_FIELDS = ("value_type", "value", "schema", "description", "secret")


def configuration_export(*, namespace: str, environment: str | None = None, include_secrets: bool = False) -> dict:
    ns = selectors.namespace_get(slug=namespace)
    environments = selectors.environment_list(namespace=ns)
    if environment is not None:
        environments = [selectors.environment_get(namespace_slug=namespace, slug=environment)]
    document = {
        "namespace": ns.slug,
        "description": ns.description,
        "environments": [
            {
                "slug": env.slug,
                "description": env.description,
                "entries": [_exported(entry, include_secrets) for entry in selectors.entry_list(environment=env)],
            }
            for env in environments
        ],
    }
    revealed = [
        f"{env['slug']}/{entry['key']}"
        for env in document["environments"]
        for entry in env["entries"]
        if entry["secret"] and include_secrets
    ]
    if revealed:  # an operator now holds these secrets in clear: on the record, like any reveal
        services.secret_reveal_record(target=ns, keys=revealed, request=None)
    return document


def _exported(entry: Entry, include_secrets: bool) -> dict[str, Any]:
    data = {
        "key": entry.key,
        "value_type": entry.value_type,
        "schema": entry.schema,
        "description": entry.description,
        "secret": entry.secret,
    }
    if not entry.secret or include_secrets:
        data["value"] = stored_value(entry)
    return data


def _checked(serializer_class: type, data: Any, where: str) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationError({where: serializer.errors})
    return dict(serializer.validated_data)


@transaction.atomic
def configuration_import(*, document: Any, dry_run: bool = False) -> dict[str, int]:
    """Create or update everything in `document` in one transaction: any error, nothing is written.

    Returns counts of created and updated objects; with `dry_run` the transaction is rolled back.
    """
    if not isinstance(document, dict):
        raise ValidationError({"document": ["The document is an object."]})
    counts = {"namespaces": 0, "environments": 0, "entries_created": 0, "entries_updated": 0}
    head = _checked(
        NamespaceCreateInputSerializer,
        {"slug": document.get("namespace"), "description": document.get("description", "")},
        "namespace",
    )
    namespace = Namespace.objects.filter(slug=head["slug"]).first()
    if namespace is None:
        namespace = services.namespace_create(**head, actor=services.SYSTEM_ACTOR)
        counts["namespaces"] += 1
    for index, env_data in enumerate(document.get("environments") or []):
        if not isinstance(env_data, dict):
            raise ValidationError({f"environments.{index}": ["An environment is an object."]})
        environment = _environment(namespace, env_data, index, counts)
        for position, entry_data in enumerate(env_data.get("entries") or []):
            _entry(environment, entry_data, f"environments.{index}.entries.{position}", counts)
    if dry_run:
        transaction.set_rollback(True)
    return counts


def _environment(namespace: Namespace, data: dict, index: int, counts: dict[str, int]) -> Environment:
    slug = data.get("slug")
    environment = Environment.objects.select_related("namespace").filter(namespace=namespace, slug=slug).first()
    if environment is None:
        fields = _checked(
            NamespaceCreateInputSerializer,
            {"slug": slug, "description": data.get("description", "")},
            f"environments.{index}",
        )
        environment = services.environment_create(namespace=namespace, **fields, actor=services.SYSTEM_ACTOR)
        counts["environments"] += 1
    return environment


def _entry(environment: Environment, data: Any, where: str, counts: dict[str, int]) -> None:
    if not isinstance(data, dict):
        raise ValidationError({where: ["An entry is an object."]})
    existing = Entry.objects.filter(environment=environment, key=data.get("key")).first()
    if existing is not None and data.get("secret") and "value" not in data:
        data = {**data, "value": stored_value(existing)}  # exported without secrets: keep the current value
    fields = _checked(EntryCreateInputSerializer, data, where)
    if existing is None:
        services.entry_create(environment=environment, **fields, actor=services.SYSTEM_ACTOR)
        counts["entries_created"] += 1
        return
    fields.pop("key")
    current = {name: getattr(existing, name) for name in ENTRY_FIELDS if name != "value"}
    current["value"] = stored_value(existing)
    changed = {name: value for name, value in fields.items() if current.get(name) != value}
    if changed:
        existing.environment = environment
        services.entry_update(entry=existing, if_match=["*"], fields=changed, actor=services.SYSTEM_ACTOR)
        counts["entries_updated"] += 1
