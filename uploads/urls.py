"""Routes of this app under /api/v1/ (included by config.api_v1).

An upload's URL is the `Location` the creation answered (no trailing slash, like other tus servers); the
form with a trailing slash works too, for clients that build URLs the way the rest of this API spells them.
"""

from django.urls import path

from uploads import views

urlpatterns = [
    path("uploads/", views.UploadCollectionView.as_view(), name="uploads-upload-list"),
    path("uploads/<uuid:upload_id>", views.UploadDetailView.as_view(), name="uploads-upload-detail"),
    path("uploads/<uuid:upload_id>/", views.UploadDetailView.as_view(schema=None), name="uploads-upload-detail-slash"),
]
