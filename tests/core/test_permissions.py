"""The OAuth scope ceiling (core.permissions) is part of every permission of every API view, walked from the URLconf."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.errors import PermissionDeniedError
from core.permissions import ScopeCeiling, required_scope, within_token_scopes


def _api_views(patterns=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None and issubclass(view_class, APIView):
                yield view_class


API_VIEWS = sorted(set(_api_views()), key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def test_walk__finds_the_apps_views():
    modules = {cls.__module__.split(".")[0] for cls in API_VIEWS}
    assert {"accounts", "audit", "configurations", "downloads", "uploads"} <= modules


@pytest.mark.parametrize("view_class", API_VIEWS, ids=lambda cls: cls.__name__)
def test_every_api_view__permissions_include_the_scope_ceiling(view_class):
    from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

    docs = (SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView)
    if view_class.authentication_classes == [] or issubclass(view_class, docs):
        return  # no credential is ever read (signed links, schema pages): nothing a token could do
    assert view_class.permission_classes, view_class
    for permission in view_class.permission_classes:
        assert issubclass(permission, ScopeCeiling), f"{view_class.__name__} uses {permission.__name__}"


class _Token:
    scopes = frozenset({"config:read"})


class ConfigView(APIView):
    pass


ConfigView.__module__ = "configurations.views"


@pytest.mark.parametrize(
    ("method", "scope"), [("get", "config:read"), ("head", "config:read"), ("post", "config:write")]
)
def test_required_scope__by_area_and_method(method, scope):
    request = getattr(APIRequestFactory(), method)("/")

    assert required_scope(request, ConfigView()) == scope


def test_scoped_token__outside_its_scopes__insufficient_scope():
    request = APIRequestFactory().post("/")
    request.auth = _Token()

    with pytest.raises(PermissionDeniedError) as refused:
        within_token_scopes(request, ConfigView())

    assert refused.value.code == "insufficient_scope"


def test_unscoped_credential__not_narrowed():
    request = APIRequestFactory().post("/")
    request.auth = None

    assert within_token_scopes(request, ConfigView()) is True
