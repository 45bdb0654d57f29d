"""Cursor pagination of the trail: stable under appends, O(1) per page at any depth (keyset on id)."""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class AuditEventCursorPagination(pagination.CursorPagination):
    cursor_query_param = "cursor"
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        # DRF answers a garbled cursor with 404; it is bad input, so 400 like any other bad parameter.
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [str(exc.detail)]}, code="invalid_cursor") from exc
