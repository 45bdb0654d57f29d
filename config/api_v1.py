"""URLconf of API version 1, mounted at /api/v1/ under the namespace "v1"."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the page runs under a CSP
    # without 'unsafe-inline' scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="v1:schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="v1:schema"), name="redoc"),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
    path("", include("configurations.urls")),
    path("", include("downloads.urls")),
    path("", include("uploads.urls")),
]
