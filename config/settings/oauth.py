"""OAuth 2.1 and OpenID Connect (django-oauth-toolkit under /o/): grants, scopes, token lifetimes.

Access tokens are JWTs (oauth.tokens) signed with JWT_SIGNING_KEYS; refresh tokens and codes stay random.
"""

from .accounts import JWT_ACCESS_TTL, JWT_REFRESH_TTL
from .env import DEBUG, TESTING
from .keys import JWT_SIGNING_KEYS, rsa_pems

_RSA_PEMS = rsa_pems(JWT_SIGNING_KEYS)

OAUTH_SCOPES = {
    "openid": "Sign you in (OpenID Connect)",
    "profile": "See your display name",
    "email": "See your e-mail address",
    "config:read": "Read configuration",
    "config:write": "Change configuration",
    "files:read": "Read your files",
    "files:write": "Upload, replace and delete your files",
    "audit:read": "Read the audit trail",
}

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # ID tokens: RS256 with the newest RSA key of JWT_SIGNING_KEYS (`kid` = its RFC 7638 thumbprint, as in
    # core.jwt_keys); the JWKS itself is oauth.views.JwksView, which publishes every key.
    "OIDC_RSA_PRIVATE_KEY": _RSA_PEMS[0],
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": _RSA_PEMS[1:],
    # https only in production (RFC 9700 §2.1); http redirect URIs (loopback clients) in DEBUG and tests.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if DEBUG or TESTING else ["https"],
    "SCOPES": OAUTH_SCOPES,
    "DEFAULT_SCOPES": [],
    "SCOPES_BACKEND_CLASS": "oauth.scopes.ClientScopes",
    "OAUTH2_SERVER_CLASS": "oauth.server.OAuth21Server",
    "OAUTH2_VALIDATOR_CLASS": "oauth.validators.Validator",
    "ACCESS_TOKEN_GENERATOR": "oauth.tokens.access_token_generator",  # nosec B105  (a setting name, not a password)
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",  # nosec B105  (a setting name, not a password)
    "ACCESS_TOKEN_EXPIRE_SECONDS": JWT_ACCESS_TTL,
    "ID_TOKEN_EXPIRE_SECONDS": JWT_ACCESS_TTL,
    "REFRESH_TOKEN_EXPIRE_SECONDS": JWT_REFRESH_TTL,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,  # nosec B105  (a setting name, not a password)
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # nosec B105  (a setting name, not a password)
    "PKCE_REQUIRED": True,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    # RFC 9700 (OAuth 2.0 Security BCP), as OAuth 2.1 asks: no implicit or password grant, no PKCE
    # "plain", tokens stored only as checksums, `iss` in the authorization response.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,  # nosec B105  (a setting name, not a password)
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,  # nosec B105  (a setting name, not a password)
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # nosec B105  (a setting name, not a password)
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,  # nosec B105  (a setting name, not a password)
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REQUEST_APPROVAL_PROMPT": "force",
}
# The HTML login of the authorization endpoint (oauth.views.LoginView).
LOGIN_URL = "/o/login/"
# Named so that migrations referring to the (unswapped) client model can depend on it.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
