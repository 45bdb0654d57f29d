"""Routes of this app under /api/v1/ (included by config.api_v1)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import mfa_views, views

router = SimpleRouter()
router.register("auth/sessions", views.AccountSessionViewSet, basename="accounts-session")
router.register("users", views.AccountUserViewSet, basename="accounts-user")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="accounts-register"),
    path("auth/verify-email/", views.VerifyEmailView.as_view(), name="accounts-verify-email"),
    path("auth/verify-email/resend/", views.ResendVerificationView.as_view(), name="accounts-verify-email-resend"),
    path("auth/token/", views.TokenObtainView.as_view(), name="accounts-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="accounts-token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="accounts-logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="accounts-logout-all"),
    path("auth/password/change/", views.PasswordChangeView.as_view(), name="accounts-password-change"),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="accounts-password-reset"),
    path(
        "auth/password/reset/confirm/", views.PasswordResetConfirmView.as_view(), name="accounts-password-reset-confirm"
    ),
    *router.urls,
]

urlpatterns += [
    path("auth/mfa/", mfa_views.MfaStatusView.as_view(), name="accounts-mfa"),
    path("auth/mfa/totp/", mfa_views.TotpEnrolView.as_view(), name="accounts-mfa-totp"),
    path("auth/mfa/totp/confirm/", mfa_views.TotpConfirmView.as_view(), name="accounts-mfa-totp-confirm"),
    path("auth/mfa/totp/disable/", mfa_views.TotpDisableView.as_view(), name="accounts-mfa-totp-disable"),
    path("auth/mfa/recovery-codes/", mfa_views.RecoveryCodesView.as_view(), name="accounts-mfa-recovery-codes"),
    path("auth/mfa/verify/", mfa_views.MfaVerifyView.as_view(), name="accounts-mfa-verify"),
]
