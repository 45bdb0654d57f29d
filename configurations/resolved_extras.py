"""The two rarer forms of GET resolved/: a watch (`Prefer: wait=N` with a matching If-None-Match) and
time travel (`?at=`). Kept apart from the hot path in views.ResolvedViewSet, which only branches here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_etags
from rest_framework.request import Request

from configurations import history, watch
from configurations.authentication import ApiKeyPrincipal
from configurations.resolved import ResolvedDocument
from core.errors import ValidationError
from health.state import is_shutting_down


def _release_database() -> None:
    """Hand this request's database connections back to the pool before a long wait."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def _reauthorize(view: Any, request: Request) -> bool:
    """The watcher's access as a new request with its credentials would have it now: authentication and the
    view's permissions again (raising their refusal), and whether it may see secrets in clear. A bare
    request carrying only the Authorization header (the one credential ConfigurationViewSet's
    authenticators read) and no view, so no throttle counts it a second time."""
    bare = HttpRequest()
    bare.method = request.method
    bare.META = {"HTTP_AUTHORIZATION": request.META.get("HTTP_AUTHORIZATION", "")}
    fresh = Request(bare, authenticators=request.authenticators)
    view.check_permissions(fresh)
    return view.reveals(fresh)


def watch_response(
    view: Any, *, document: ResolvedDocument, headers: dict[str, str], wait: int, clear: bool
) -> HttpResponse:
    """Hold until the document no longer matches (200, new ETag) or `wait` s pass (304)."""
    headers = {**headers, "Preference-Applied": f"wait={wait}"}
    if is_shutting_down():
        return HttpResponseNotModified(headers=headers)
    _release_database()
    ns, env = view.kwargs["ns"], view.kwargs["env"]
    request = view.request
    waiter = watch.Waiter(
        ns,
        env,
        clear,
        document.etag,
        marker=document.marker,
        authorize=lambda: _reauthorize(view, request),
        credential=request.META.get("HTTP_AUTHORIZATION", ""),
    )
    changed = watch.hub.wait(waiter, wait)
    if changed is None:
        return HttpResponseNotModified(headers=headers)
    if waiter.clear and changed.secret_keys and not isinstance(request.auth, ApiKeyPrincipal):
        view.audit_reveal(view.environment(), list(changed.secret_keys))
    headers["ETag"] = changed.etag
    return HttpResponse(changed.body, content_type="application/json", headers=headers)


def parse_instant(raw: str) -> datetime:
    moment = parse_datetime(raw.strip()) if raw else None
    if moment is None:
        raise ValidationError({"at": "Give an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z."})
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError({"at": "The instant is out of range."}) from None
    if moment > timezone.now():
        raise ValidationError({"at": "The instant is in the future."}, code="in_future")
    return moment


def at_response(view: Any, request: Any, *, clear: bool) -> HttpResponse:
    """The document as it was at `?at=` (from the immutable versions), with its own strong ETag."""
    at = parse_instant(request.GET.get("at", ""))
    environment = view.environment()
    values = history.values_at(environment=environment, at=at)
    body, etag = history.render(values, clear=clear)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match and (etag in parse_etags(if_none_match) or if_none_match.strip() == "*"):
        return HttpResponseNotModified(headers=headers)
    secret_keys = [key for key, (_, secret) in values.items() if secret]
    if clear and secret_keys:
        view.audit_reveal(environment, secret_keys)
    return HttpResponse(body, content_type="application/json", headers=headers)
