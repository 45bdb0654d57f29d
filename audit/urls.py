"""Routes of this app under /api/v1/ (included by config.api_v1)."""

from rest_framework.routers import SimpleRouter

from audit import views

router = SimpleRouter(use_regex_path=False)
router.register("audit/events", views.AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
