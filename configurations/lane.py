"""The configuration reads the hot lane (core.lane) answers, when this process remembers what they show under the
environment's current marker: an API key's resolved document, and one entry that is not a secret for a user whose
role may read every namespace's entries. Everything else is declined to the full stack."""

from __future__ import annotations

import re
import time

from rest_framework.renderers import JSONRenderer

from accounts.lane import bearer_principal
from configurations import resolved, selectors
from configurations.authentication import header_key_hash, record_cache_key, settled_principal
from configurations.models import KEY_PATTERN, SLUG_PATTERN
from configurations.serializers import EntryOutputSerializer
from configurations.views import EntryViewSet
from core import cache
from core.lane import Answer, Environ, LaneRoute
from core.memo import remember


def resolved_for_api_key(environ: Environ, ns: str, env: str) -> Answer | None:
    """What `EnvironmentConfigViewSet.resolved` answers an API key (which sees the document in clear), from
    one cache read: the key's validity and the current marker."""
    key_hash = header_key_hash(environ.get("HTTP_AUTHORIZATION", ""))
    if not key_hash or environ.get("HTTP_PREFER") or not resolved.remembers(ns, env, clear=True):
        return None  # another scheme, a watch, or a document this process has not served yet
    record_key, marker_key = record_cache_key(key_hash), resolved.marker_key(ns, env)
    values = cache.get_many([record_key, marker_key], "an API key's resolved document")
    principal = settled_principal(values.get(record_key), time.time())
    if principal is None or not principal.may_read(ns, env):
        return None
    document = resolved.remembered(ns, env, clear=True, marker=values.get(marker_key))
    if document is None:
        return None
    headers = resolved.answer_headers(document)
    if resolved.not_modified(document, environ.get("HTTP_IF_NONE_MATCH")):
        return Answer(304, headers)
    return Answer(200, {**headers, "Content-Type": "application/json"}, document.body)


def entry_for_user(environ: Environ, ns: str, env: str, key: str) -> Answer | None:
    """What `EntryViewSet.retrieve` answers a user: one entry, masked or not alike (so not a secret, whose reading
    is audited), for a role that grants the read without a membership lookup."""
    marker_key = resolved.marker_key(ns, env)
    authenticated = bearer_principal(environ, EntryViewSet, [marker_key])
    if authenticated is None:
        return None
    principal, values = authenticated
    if not principal.has_perms(EntryViewSet.action_permissions["retrieve"]):
        return None  # a member's read: the full stack looks the membership up
    marker = values.get(marker_key)
    remembered = _ENTRY_BODIES.get((ns, env, key))
    if remembered is None or not marker or remembered[0] != marker:
        entry = selectors.remembered_entry(ns, env, key, marker)
        if entry is None or entry.secret:
            return None
        body = _RENDERER.render(EntryOutputSerializer(entry, context={"reveal": False}).data)
        remembered = (marker, entry.etag, body)
        remember(_ENTRY_BODIES, (ns, env, key), remembered, _ENTRY_BODIES_MAX)
    return Answer(200, {"ETag": remembered[1]}, remembered[2], user_id=str(principal.pk))


# Rendered entries by URL, with the marker they were read under (as configurations.selectors keeps the rows).
_ENTRY_BODIES: dict[tuple[str, str, str], tuple[str, str, bytes]] = {}
_ENTRY_BODIES_MAX = 4096
_RENDERER = JSONRenderer()
_ENVIRONMENT = f"/api/v1/namespaces/(?P<ns>{SLUG_PATTERN})/environments/(?P<env>{SLUG_PATTERN})"

ROUTES = [
    LaneRoute(
        "resolved",
        re.compile(f"{_ENVIRONMENT}/resolved/"),
        resolved_for_api_key,
        frozenset({"etag", "cache-control", "content-type"}),
    ),
    LaneRoute(
        "entry", re.compile(f"{_ENVIRONMENT}/entries/(?P<key>{KEY_PATTERN})/"), entry_for_user, frozenset({"etag"})
    ),
]
