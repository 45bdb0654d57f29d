"""The file read the hot lane (core.lane) answers: the plain `GET /api/v1/files/` (no query string) of a user who
manages only their own files, when this process remembers that list under the owner's current marker
(downloads.selectors.remembered_file_list). Everything else is declined to the full stack."""

from __future__ import annotations

import re

from django.conf import settings

from accounts.lane import bearer_session, live_principal
from core.lane import Answer, Environ, LaneRoute
from downloads import selectors
from downloads.views import FileViewSet


def _absolute_url(environ: Environ) -> str:
    """The URL as `request.build_absolute_uri()` writes it for a plain request (the list's `next` link is built
    from it); a request it would write otherwise just finds no remembered list."""
    proxy = settings.SECURE_PROXY_SSL_HEADER
    secure = environ.get("wsgi.url_scheme") == "https" or bool(proxy and environ.get(proxy[0]) == proxy[1])
    return f"{'https' if secure else 'http'}://{environ.get('HTTP_HOST', '')}{environ.get('PATH_INFO', '')}"


def files_for_owner(environ: Environ) -> Answer | None:
    session = bearer_session(environ)
    if session is None or environ.get("SCRIPT_NAME"):
        return None
    marker_key = selectors.file_list_marker_key(session[0])
    authenticated = live_principal(environ, FileViewSet, session, [marker_key])
    if authenticated is None:
        return None
    principal, values = authenticated
    if selectors.manages_all(principal):
        return None  # an admin's list is everyone's files: the full stack's
    body = selectors.remembered_file_list(session[0], values.get(marker_key), _absolute_url(environ))
    return Answer(200, {}, body, user_id=session[0]) if body is not None else None


ROUTES = [LaneRoute("files", re.compile(r"/api/v1/files/"), files_for_owner, frozenset())]
