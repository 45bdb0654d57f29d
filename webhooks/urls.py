"""Routes of webhooks under /api/v1/ (included by config.api_v1)."""

from rest_framework.routers import SimpleRouter

from webhooks import views

router = SimpleRouter(use_regex_path=False)
router.register("namespaces/<cfgslug:ns>/webhooks", views.WebhookViewSet, basename="webhooks-webhook")

urlpatterns = router.urls
