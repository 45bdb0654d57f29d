"""The file read the hot lane (core.lane) answers: the plain `GET /api/v1/files/` (no query string) of a user who
manages only their own files, when this process remembers that list under the owner's current marker
(downloads.selectors.remembered_file_list). Everything else is declined to the full stack."""

from __future__ import annotations

import re

from django.core.handlers.wsgi import WSGIRequest

from accounts.lane import bearer_session, live_principal
from core.lane import Answer, Environ, LaneRoute
from downloads import selectors
from downloads.views import FileViewSet


def files_for_owner(environ: Environ) -> Answer | None:
    session = bearer_session(environ)
    if session is None:
        return None
    marker_key = selectors.file_list_marker_key(session[0])
    authenticated = live_principal(environ, FileViewSet, session, [marker_key])
    if authenticated is None:
        return None
    principal, values = authenticated
    if selectors.manages_all(principal):
        return None  # an admin's list is everyone's files: the full stack's
    # The list's `next` link is built from the absolute URL, so the remembered body is by URL: Django's own.
    url = WSGIRequest(environ).build_absolute_uri()
    body = selectors.remembered_file_list(session[0], values.get(marker_key), url)
    return Answer(200, {}, body, user_id=session[0]) if body is not None else None


ROUTES = [LaneRoute("files", re.compile(r"/api/v1/files/"), files_for_owner, frozenset())]
