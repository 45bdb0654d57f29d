"""Routes of this app under /api/v1/ (included by config.api_v1).

An upload's URL is the `Location` the creation answered (no trailing slash, like other tus servers); the
form with a trailing slash works too, for clients that build URLs the way the rest of this API spells them
(left out of the schema: one operation, two spellings).
"""

from rest_framework.routers import Route, SimpleRouter

from uploads import views

_DETAIL = {"head": "offset", "patch": "append", "delete": "terminate"}


class TusRouter(SimpleRouter):
    routes = [
        Route(url=r"^{prefix}/$", mapping={"post": "create"}, name="{basename}-list", detail=False, initkwargs={}),
        Route(url=r"^{prefix}/{lookup}$", mapping=_DETAIL, name="{basename}-detail", detail=True, initkwargs={}),
        Route(
            url=r"^{prefix}/{lookup}/$",
            mapping=_DETAIL,
            name="{basename}-detail-slash",
            detail=True,
            initkwargs={"schema": None},
        ),
    ]


router = TusRouter(use_regex_path=False)
router.register("uploads", views.UploadViewSet, basename="uploads-upload")

urlpatterns = router.urls
