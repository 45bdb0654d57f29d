"""Signed link tokens: bound to the file and its ETag, and never written to a log."""

from __future__ import annotations

import pytest

from core.errors import GoneError, PermissionDeniedError
from core.logging import redact
from downloads.links import link_resolve
from downloads.services import link_create
from tests.downloads.factories import make_file

pytestmark = pytest.mark.django_db


def test_link_resolve__valid_token__the_file(user):
    file = make_file(owner=user)
    _, token = link_create(file=file, expires_in=60)

    assert link_resolve(token) == file


@pytest.mark.parametrize("token", ["", "garbage", "a:b:c", ".eJw:1:x"])
def test_link_resolve__not_ours__403(token):
    with pytest.raises(PermissionDeniedError):
        link_resolve(token)


def test_link_resolve__bound_to_etag__content_changed__410(user):
    file = make_file(owner=user)
    _, token = link_create(file=file, expires_in=60)
    type(file).objects.filter(pk=file.pk).update(sha256="f" * 64)

    with pytest.raises(GoneError):
        link_resolve(token)


def test_link_token__redacted_from_log_lines(user):
    _, token = link_create(file=make_file(owner=user), expires_in=60)

    line = redact(f"Precondition Failed: /api/v1/d/{token}/")

    assert token not in line
    assert line == "Precondition Failed: /api/v1/d/[REDACTED]/"
