"""Routes of this app under /api/v1/ (included by config.api_v1)."""

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from configurations import team_views, views
from configurations.models import KEY_PATTERN, SLUG_PATTERN


class SlugConverter:
    regex = SLUG_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class KeyConverter(SlugConverter):
    regex = KEY_PATTERN


register_converter(SlugConverter, "cfgslug")
register_converter(KeyConverter, "cfgkey")

NS = "namespaces/<cfgslug:ns>/"
ENV = f"{NS}environments/<cfgslug:env>/"
ENTRY = f"{ENV}entries/<cfgkey:key>/"

urlpatterns = [
    # First: the hottest route (machine clients polling), so URL resolution tries the fewest patterns.
    path(f"{ENV}resolved/", views.ResolvedViewSet.as_view({"get": "resolved"}), name="configurations-resolved"),
    path(
        "namespaces/",
        views.NamespaceViewSet.as_view({"get": "list", "post": "create"}),
        name="configurations-namespace-list",
    ),
    path(
        NS,
        views.NamespaceViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="configurations-namespace-detail",
    ),
    path(
        f"{NS}environments/",
        views.EnvironmentViewSet.as_view({"get": "list", "post": "create"}),
        name="configurations-environment-list",
    ),
    path(
        ENV,
        views.EnvironmentViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="configurations-environment-detail",
    ),
    path(
        f"{ENV}entries/",
        views.EntryViewSet.as_view({"get": "list", "post": "create"}),
        name="configurations-entry-list",
    ),
    path(
        ENTRY,
        views.EntryViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="configurations-entry-detail",
    ),
    path(f"{ENTRY}versions/", views.EntryViewSet.as_view({"get": "versions"}), name="configurations-entry-versions"),
    path(f"{ENTRY}rollback/", views.EntryViewSet.as_view({"post": "rollback"}), name="configurations-entry-rollback"),
    path(
        f"{ENV}api-keys/",
        views.ApiKeyViewSet.as_view({"get": "list", "post": "create"}),
        name="configurations-apikey-list",
    ),
    path(
        f"{ENV}api-keys/<uuid:key_id>/",
        views.ApiKeyViewSet.as_view({"delete": "destroy"}),
        name="configurations-apikey-detail",
    ),
]

router = SimpleRouter(use_regex_path=False)
router.register(f"{NS}members", team_views.MemberViewSet, basename="configurations-member")
router.register(f"{ENV}change-requests", team_views.ChangeRequestViewSet, basename="configurations-changerequest")
router.register(ENV.rstrip("/"), team_views.DiffViewSet, basename="configurations-environment")
urlpatterns += router.urls
