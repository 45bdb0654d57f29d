"""The one view dialect of the API: `ApiViewSet` subclasses with explicit actions, registered on a router in
`<app>/urls.py`; `validated()` for every request body."""

from __future__ import annotations

from typing import Any

from rest_framework import viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer


def validated(
    serializer_class: type[BaseSerializer], request: Request, *, query: bool = False, **kwargs: Any
) -> dict[str, Any]:
    """The request body (the query string with `query=True`) validated by `serializer_class` (extra
    `kwargs` go to it, e.g. `context`): a 400 problem listing every invalid field, else a plain dict of the
    validated data."""
    serializer = serializer_class(data=request.query_params if query else request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class MethodFirstMixin:
    """For a DRF view: a method the route does not have is 405 with `Allow` before authentication,
    permissions and throttles (API.md: a client learns nothing from it that the schema does not already
    say); DRF itself would authenticate first and answer 401."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):  # type: ignore[attr-defined]
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


class ViewMetadata(SimpleMetadata):
    """OPTIONS names the view and its media types; the request bodies are in the OpenAPI schema (DRF's own
    metadata would ask the view for one serializer, which a ViewSet with several actions has not)."""

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }


class ApiViewSet(MethodFirstMixin, viewsets.GenericViewSet):
    """Base of every API ViewSet (see the module docstring)."""

    metadata_class = ViewMetadata
