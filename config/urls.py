"""Root URLconf: health and metrics outside the versioned API, the admin, and /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from health import views as health_views

urlpatterns = [
    path("health", health_views.liveness, name="health"),
    path("ready", health_views.readiness, name="ready"),
    path("metrics", health_views.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_v1", "v1"), namespace="v1")),
    path("o/", include("oauth.urls")),
]
