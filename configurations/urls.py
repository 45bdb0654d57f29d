"""Routes of this app under /api/v1/ (included by config.api_v1)."""

from django.urls import register_converter
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

NS = "namespaces/<cfgslug:ns>"
ENV = f"{NS}/environments/<cfgslug:env>"

router = SimpleRouter(use_regex_path=False)
# First: the hottest route (machine clients polling), so URL resolution tries the fewest patterns.
router.register(ENV, views.ResolvedViewSet, basename="configurations")
router.register("namespaces", views.NamespaceViewSet, basename="configurations-namespace")
router.register(f"{NS}/environments", views.EnvironmentViewSet, basename="configurations-environment")
router.register(f"{ENV}/entries", views.EntryViewSet, basename="configurations-entry")
router.register(f"{ENV}/api-keys", views.ApiKeyViewSet, basename="configurations-apikey")
router.register(f"{NS}/members", team_views.MemberViewSet, basename="configurations-member")
router.register(f"{ENV}/change-requests", team_views.ChangeRequestViewSet, basename="configurations-changerequest")
router.register(ENV, team_views.DiffViewSet, basename="configurations-env")

urlpatterns = router.urls
