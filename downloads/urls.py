"""Routes of this app under /api/v1/ (included by config.api_v1)."""

from rest_framework.routers import SimpleRouter

from downloads import views

router = SimpleRouter(use_regex_path=False)
router.register("files", views.FileViewSet, basename="downloads-file")
router.register("files/<uuid:file_id>/links", views.FileLinkViewSet, basename="downloads-file-link")
router.register("d", views.LinkContentViewSet, basename="downloads-link")
router.register("downloads", views.DownloadViewSet, basename="downloads-download")

urlpatterns = router.urls
