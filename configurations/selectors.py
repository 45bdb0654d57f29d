"""Reads of the configuration service. Callers are already scoped: an API key reaches only its own
environment (configurations.permissions), users see every namespace their role lets them view."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.db.models import QuerySet

from configurations import access
from configurations.models import ApiKey, Entry, EntryVersion, Environment, Namespace
from core.errors import NotFoundError
from core.memo import remember
from core.selectors import first_or_not_found


def namespace_list(*, user: Any) -> QuerySet[Namespace]:
    return access.namespaces_visible_to(user)


def namespace_get(*, slug: str) -> Namespace:
    return first_or_not_found(Namespace.objects.filter(slug=slug), "No such namespace.")


def environment_list(*, namespace: Namespace) -> QuerySet[Environment]:
    return Environment.objects.filter(namespace=namespace).select_related("namespace")


def environment_get(*, namespace_slug: str, slug: str) -> Environment:
    environment = (
        Environment.objects.select_related("namespace").filter(namespace__slug=namespace_slug, slug=slug).first()
    )
    if environment is None:
        raise NotFoundError("No such environment.")
    return environment


def entry_list(*, environment: Environment) -> QuerySet[Entry]:
    return Entry.objects.filter(environment=environment)


# Entries this process read, by URL, with the environment's resolved-document marker read before the query.
# Every write replaces that marker after its commit (configurations.resolved): an entry remembered under the
# marker a request has just read is the row as it was under that marker, as a cached resolved document is.
_ENTRIES: dict[tuple[str, str, str], tuple[str, Entry]] = {}
_ENTRIES_MAX = 4096


def entry_get_by_path(*, namespace_slug: str, environment_slug: str, key: str, marker: str | None = None) -> Entry:
    """One entry by its URL, with its environment and namespace, in one query (the hot read: one entry GET);
    with the environment's `marker` (read from the cache before this), none when this process read the entry
    under the same marker."""
    remembered = remembered_entry(namespace_slug, environment_slug, key, marker)
    if remembered is not None:
        return remembered
    path = (namespace_slug, environment_slug, key)
    entry = (
        Entry.objects.select_related("environment__namespace")
        .filter(environment__namespace__slug=namespace_slug, environment__slug=environment_slug, key=key)
        .first()
    )
    if entry is None:  # which part is missing decides the message
        return entry_get(environment=environment_get(namespace_slug=namespace_slug, slug=environment_slug), key=key)
    if marker:
        remember(_ENTRIES, path, (marker, copy.copy(entry)), _ENTRIES_MAX)
    return entry


def remembered_entry(namespace_slug: str, environment_slug: str, key: str, marker: object) -> Entry | None:
    """A copy of the entry this process read by that URL under `marker` (the environment's current one)."""
    remembered = _ENTRIES.get((namespace_slug, environment_slug, key)) if marker else None
    return copy.copy(remembered[1]) if remembered is not None and remembered[0] == marker else None


def entry_get(*, environment: Environment, key: str) -> Entry:
    entry = first_or_not_found(Entry.objects.filter(environment=environment, key=key), "No such entry.")
    entry.environment = environment  # already loaded, with its namespace
    return entry


def entry_version_list(*, entry: Entry) -> QuerySet[EntryVersion]:
    return EntryVersion.objects.filter(entry=entry).order_by("-version")


def api_key_list(*, environment: Environment) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(environment=environment)


def api_key_get(*, environment: Environment, key_id: uuid.UUID) -> ApiKey:
    api_key = first_or_not_found(ApiKey.objects.filter(environment=environment, pk=key_id), "No such API key.")
    api_key.environment = environment
    return api_key
