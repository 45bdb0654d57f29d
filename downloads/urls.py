"""Routes of this app under /api/v1/ (included by config.api_v1)."""

from django.urls import path

from downloads import views

DOWNLOAD = "downloads/<uuid:download_id>/"

urlpatterns = [
    path("files/", views.FileListCreateView.as_view(), name="downloads-file-list"),
    path("files/<uuid:file_id>/", views.FileDetailView.as_view(), name="downloads-file-detail"),
    path("files/<uuid:file_id>/content/", views.FileContentView.as_view(), name="downloads-file-content"),
    path("files/<uuid:file_id>/links/", views.FileLinkListCreateView.as_view(), name="downloads-file-links"),
    path("files/<uuid:file_id>/links/<uuid:link_id>/", views.FileLinkDetailView.as_view(), name="downloads-file-link"),
    path("d/<str:token>/", views.LinkContentView.as_view(), name="downloads-link-content"),
    path("downloads/", views.DownloadListCreateView.as_view(), name="downloads-download-list"),
    path("downloads/<uuid:download_id>/", views.DownloadDetailView.as_view(), name="downloads-download-detail"),
    path(DOWNLOAD + "complete/", views.DownloadCompleteView.as_view(), name="downloads-download-complete"),
    path(DOWNLOAD + "content/", views.DownloadContentView.as_view(), name="downloads-download-content"),
]
