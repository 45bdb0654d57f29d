"""/o/: the authorization server. Only the endpoints API.md names (no implicit, device, DCR or app pages)."""

from django.urls import path, re_path
from oauth2_provider import views as dot_views

from oauth import views

app_name = "oauth2_provider"  # the namespace django-oauth-toolkit reverses its own URLs in

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", dot_views.TokenView.as_view(), name="token"),
    path("revoke_token/", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectView.as_view(), name="introspect"),
    path("userinfo/", dot_views.UserInfoView.as_view(), name="user-info"),
    re_path(r"^\.well-known/openid-configuration$", views.DiscoveryView.as_view(), name="oidc-connect-discovery-info"),
    path(".well-known/jwks.json", views.jwks, name="jwks-info"),
]
