"""Pagination: every list is `{"count", "next", "previous", "results"}`."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable
from rest_framework import pagination

_TOTAL = "_page_total"
# The databases' OFFSET and LIMIT are 64-bit: a page past it holds no row, and asking would be a DataError.
_MAX_ROW = 2**63 - 1


class OneQueryPaginator(Paginator):
    """Django's Paginator counts the rows in one query and reads the page in another. For a plain model
    queryset this reads the page together with the total (`COUNT(*) OVER ()`), one round trip instead of
    two; only an empty page (past the end, or no rows at all) falls back to Django's own count and errors."""

    def page(self, number: int | str) -> Page:
        index = int(number) - 1 if isinstance(number, int) or (isinstance(number, str) and number.isdigit()) else -1
        bottom = index * self.per_page
        if index < 0 or bottom + self.per_page > _MAX_ROW or not self._one_query_possible():
            return super().page(number)
        rows = list(self.object_list.annotate(**{_TOTAL: Window(Count("*"))})[bottom : bottom + self.per_page])
        if not rows:
            return super().page(number)
        self.__dict__["count"] = getattr(rows[0], _TOTAL)  # Paginator.count is a cached_property
        return self._get_page(rows, self.validate_number(number), self)

    def _one_query_possible(self) -> bool:
        """Model rows, no orphans to merge, nothing the window would count differently (DISTINCT, GROUP BY,
        UNION, a slice)."""
        rows = self.object_list
        if not isinstance(rows, QuerySet) or rows._iterable_class is not ModelIterable or self.orphans:
            return False
        query = rows.query
        return not (query.distinct or query.group_by or query.combinator or query.is_sliced)


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = OneQueryPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
