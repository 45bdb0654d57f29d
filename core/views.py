"""The one view dialect of the API: `ApiViewSet` subclasses with explicit actions, registered on a router in
`<app>/urls.py`; `validated()` for every request body."""

from __future__ import annotations

from typing import Any

from rest_framework import viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer


def validated(serializer_class: type[BaseSerializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    """The request body validated by `serializer_class` (extra `kwargs` go to it, e.g. `context`): a 400
    problem listing every invalid field, else a plain dict of the validated data."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ApiViewSet(viewsets.GenericViewSet):
    """Base of every API ViewSet.

    A method the route does not have is 405 with `Allow` before authentication, permissions and throttles
    (API.md: a client learns nothing from it that the schema does not already say); DRF itself would
    authenticate first and answer 401.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)
