"""Routes of this app under /api/v1/ (included by config.api_v1)."""

from rest_framework.routers import SimpleRouter

from accounts import lifecycle_views, mfa_views, passkey_views, views

router = SimpleRouter(use_regex_path=False)
router.register("auth/sessions", views.AccountSessionViewSet, basename="accounts-session")
router.register("auth", views.AuthViewSet, basename="accounts-auth")
router.register("auth", mfa_views.MfaViewSet, basename="accounts-mfa")
router.register("auth/passkeys", passkey_views.PasskeyViewSet, basename="accounts-passkey")
router.register("users/me", lifecycle_views.AccountLifecycleViewSet, basename="accounts-me")
router.register("users", views.AccountUserViewSet, basename="accounts-user")

urlpatterns = router.urls
