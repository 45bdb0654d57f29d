"""Look-ups shared by every app's selectors."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from core.errors import NotFoundError

M = TypeVar("M", bound=Model)


def first_or_not_found(queryset: QuerySet[M], detail: str, *, code: str | None = None) -> M:
    """The first row of `queryset`, or a 404 problem saying `detail` (like get_object_or_404, but the
    project's own error, so a service may call it)."""
    row = queryset.first()
    if row is None:
        raise NotFoundError(detail, code=code)
    return row
