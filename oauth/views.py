"""The /o/ pages and the endpoints django-oauth-toolkit does not serve the way this project needs."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_safe
from oauth2_provider import views as dot_views
from oauth2_provider.models import get_application_model
from oauthlib.common import Request as OAuthlibRequest

from core.errors import ApplicationError
from core.jwt_keys import keyring
from oauth import login as login_service
from oauth.forms import CodeForm, PasswordForm

# The /o/ pages are HTML outside /api/: the page policy, with form-action opened per page.
_PAGE_CSP = settings.CSP_PAGES.replace("form-action 'self'", "form-action {}")
JWKS_MAX_AGE = 300


def _with_csp(response: HttpResponse, *form_targets: str) -> HttpResponse:
    response["Content-Security-Policy"] = _PAGE_CSP.format(" ".join(["'self'", *form_targets]))
    return response


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    host = {request.get_host()}
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts=host, require_https=request.is_secure())
    return target if safe and target.startswith("/o/") else reverse("oauth2_provider:login")


@method_decorator([sensitive_post_parameters("password", "code"), csrf_protect, never_cache], name="dispatch")
class LoginView(View):
    """E-mail and password, then the TOTP code when it is on; then back to the authorization request."""

    template_name = "oauth/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if login_service.pending_user(request) is not None:
            return self._page(request, CodeForm())
        return self._page(request, PasswordForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        pending = login_service.pending_user(request) if "code" in request.POST else None
        form = CodeForm(request.POST) if pending is not None else PasswordForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        try:
            if pending is not None:
                login_service.second_factor_check(user=pending, code=form.cleaned_data["code"], request=request)
                user = pending
            else:
                user = login_service.password_check(**form.cleaned_data, request=request)
                if login_service.second_factor_required(user):
                    login_service.pending_set(request, user)
                    return self._page(request, CodeForm())
        except ApplicationError as error:
            response = self._page(request, form, status=error.status_code, error=str(error.detail))
            for header, value in (error.headers or {}).items():
                response[header] = value
            return response
        login_service.login_complete(user=user, request=request)
        return redirect(_next_url(request))

    def _page(self, request: HttpRequest, form: Any, *, status: int = 200, error: str = "") -> HttpResponse:
        context = {"form": form, "error": error, "next": _next_url(request)}
        return _with_csp(render(request, self.template_name, context, status=status))


class AuthorizationView(dot_views.AuthorizationView):
    """DOT's consent page (Allow / Deny), allowed by its CSP to send the browser on to the client."""

    http_method_names = ["get", "post", "head", "options"]

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # DOT's login mixin runs before the method check: a method the page lacks must be 405 with Allow
        # before authentication (API.md), not a redirect to the login page.
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def render_to_response(self, context: dict[str, Any], **kwargs) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        redirect_uri = getattr(context.get("form"), "initial", {}).get("redirect_uri") or ""
        parts = urlsplit(redirect_uri)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
        return _with_csp(response, *([origin] if origin else []))


class DiscoveryView(dot_views.ConnectDiscoveryInfoView):
    """DOT's OpenID Provider metadata, completed with what this server does and only that."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            revocation_endpoint=request.build_absolute_uri(reverse("oauth2_provider:revoke-token")),
            introspection_endpoint=request.build_absolute_uri(reverse("oauth2_provider:introspect")),
            grant_types_supported=settings.OAUTH2_PROVIDER["OAUTH2_GRANT_TYPES_SUPPORTED"],
            response_types_supported=["code"],
            code_challenge_methods_supported=["S256"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post", "none"],
            revocation_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post", "none"],
            introspection_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        )
        fixed = JsonResponse(data)
        fixed["Access-Control-Allow-Origin"] = "*"
        return fixed


@require_safe
def jwks(request: HttpRequest) -> JsonResponse:
    """Every key of JWT_SIGNING_KEYS (Ed25519, EC P-256, RSA), public parts only, by `kid`."""
    response = JsonResponse(keyring().jwks())
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response


@method_decorator(csrf_exempt, name="dispatch")  # a client-authenticated endpoint, not a browser form
class IntrospectView(dot_views.IntrospectTokenView):
    """RFC 7662 for confidential clients only, authenticated as clients (not with a bearer token)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method.upper() != "OPTIONS" and not self._confidential_client(request):
            response = JsonResponse({"error": "invalid_client"}, status=401)
            response["WWW-Authenticate"] = 'Basic realm="introspection"'
            return response
        return View.dispatch(self, request, *args, **kwargs)

    def _confidential_client(self, request: HttpRequest) -> bool:
        core = self.get_oauthlib_core()
        uri, method, body, headers = core._extract_params(request)
        oauth_request = OAuthlibRequest(uri, method, body, headers)
        if not core.server.request_validator.authenticate_client(oauth_request):
            return False
        return oauth_request.client.client_type == get_application_model().CLIENT_CONFIDENTIAL
