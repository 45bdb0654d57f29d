"""URLconf of API version 1, mounted at /api/v1/ under the namespace "v1"."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.views import MethodFirstMixin


class SchemaView(MethodFirstMixin, SpectacularAPIView):
    pass


class SwaggerView(MethodFirstMixin, SpectacularSwaggerSplitView):
    pass


class RedocView(MethodFirstMixin, SpectacularRedocView):
    pass


# The documentation pages are HTML for GET only: DRF's OPTIONS metadata has no template to render them with.
_PAGE_METHODS = ["get", "head"]
_swagger_ui = SwaggerView.as_view(url_name="v1:schema", http_method_names=_PAGE_METHODS)
_redoc = RedocView.as_view(
    url_name="v1:schema",
    http_method_names=_PAGE_METHODS,
    template_name="core/redoc.html",  # no remote fonts
)

urlpatterns = [
    path("schema/", SchemaView.as_view(api_version="v1"), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the page runs under a CSP
    # without 'unsafe-inline' scripts.
    path("docs/", _swagger_ui, name="swagger-ui"),
    path("redoc/", _redoc, name="redoc"),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
    path("", include("configurations.urls")),
    path("", include("downloads.urls")),
    path("", include("uploads.urls")),
]
