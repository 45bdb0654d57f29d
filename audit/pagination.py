"""Cursor pagination of the trail: stable under appends, O(1) per page at any depth (keyset on id)."""

from __future__ import annotations

import re

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

_POSITION = re.compile(r"[0-9]{1,18}")


class AuditEventCursorPagination(pagination.CursorPagination):
    cursor_query_param = "cursor"
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        # DRF answers a garbled cursor with 404; it is bad input, so 400 like any other bad parameter.
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise self._invalid(str(exc.detail)) from exc
        # DRF takes the position as any text; the keyset is a bigint id, so anything else would reach the
        # query (a ValueError, a 500) or overflow it.
        if cursor is not None and cursor.position is not None and not _POSITION.fullmatch(cursor.position):
            raise self._invalid(self.invalid_cursor_message)
        return cursor

    def _invalid(self, message: str) -> ValidationError:
        return ValidationError({self.cursor_query_param: [message]}, code="invalid_cursor")
