"""Both grants end to end with Authlib as the OAuth client, against the live test server.

The browser (tests.oauth.browser) logs in on /o/login/ and answers the consent page; Authlib builds the
authorization request (PKCE), redeems the code, refreshes, revokes and introspects like any third-party app.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from audit.models import AuditEvent
from tests.configurations.paths import RESOLVED, entry_url
from tests.oauth.conftest import REDIRECT_URI

pytestmark = pytest.mark.django_db(transaction=True)

SCOPES = "openid profile email config:read"


def _session(credentials, **options) -> OAuth2Session:
    return OAuth2Session(
        credentials.client_id,
        credentials.client_secret,
        redirect_uri=REDIRECT_URI,
        code_challenge_method=options.pop("code_challenge_method", "S256"),
        **options,
    )


def _query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def _code_flow(server, browser, user, credentials, scope=SCOPES, **session_options):
    session = _session(credentials, scope=scope, **session_options)
    verifier = generate_token(48)
    url, _ = session.create_authorization_url(f"{server}/o/authorize/", code_verifier=verifier, nonce="n-0S6_WzA2Mj")
    callback = browser.authorize(url, user)
    token = session.fetch_token(f"{server}/o/token/", authorization_response=callback, code_verifier=verifier)
    return session, token


def _api(server: str, access_token: str, path: str, method: str = "GET", **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{server}{path}", headers=headers, timeout=10, **kwargs)


def test_authorization_code__pkce_s256__tokens_work_and_id_token_verifies_from_jwks(
    oauth_server, browser, user, make_client, make_entry
):
    make_entry("timeout", 30)
    credentials = make_client()

    _, token = _code_flow(oauth_server, browser, user, credentials)

    discovery = requests.get(f"{oauth_server}/o/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == f"{oauth_server}/o"
    signing_key = pyjwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token["id_token"])
    claims = pyjwt.decode(
        token["id_token"], signing_key, algorithms=["RS256"], audience=credentials.client_id, issuer=discovery["issuer"]
    )
    assert claims["sub"] == str(user.pk)
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert pyjwt.get_unverified_header(token["id_token"])["alg"] == "RS256"
    assert _api(oauth_server, token["access_token"], RESOLVED).json() == {"timeout": 30}
    userinfo = _api(oauth_server, token["access_token"], "/o/userinfo/").json()
    assert userinfo == {"sub": str(user.pk), "name": user.display_name, "email": user.email, "email_verified": True}
    assert token["scope"].split() == SCOPES.split()
    assert AuditEvent.objects.filter(action="oauth.token.issued", actor=str(user.pk)).count() == 1


def test_access_token__rfc9068_claims_and_kid_header(oauth_server, browser, user, make_client):
    credentials = make_client()

    _, token = _code_flow(oauth_server, browser, user, credentials, scope="config:read files:read")

    header = pyjwt.get_unverified_header(token["access_token"])
    claims = pyjwt.decode(token["access_token"], options={"verify_signature": False})
    assert header["typ"] == "at+jwt" and header["kid"]
    assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"}
    assert claims["iss"] == f"{oauth_server}/o"
    assert claims["aud"] == f"{oauth_server}/api/v1/"
    assert claims["sub"] == str(user.pk) and claims["client_id"] == credentials.client_id
    assert claims["scope"] == "config:read files:read"


@pytest.mark.parametrize("method", [None, "plain"])
def test_authorization_code__without_pkce_or_plain__refused_before_consent(
    oauth_server, browser, user, make_client, method
):
    credentials = make_client()
    session = _session(credentials, scope=SCOPES, code_challenge_method=method)
    verifier = generate_token(48) if method else None
    url, _ = session.create_authorization_url(f"{oauth_server}/o/authorize/", code_verifier=verifier)

    location = browser.authorize(url, user)

    assert location.startswith(REDIRECT_URI)
    assert _query(location)["error"] == "invalid_request"
    assert "code" not in _query(location)


def test_authorization_code__wrong_verifier__invalid_grant(oauth_server, browser, user, make_client):
    credentials = make_client()
    session = _session(credentials, scope=SCOPES)
    url, _ = session.create_authorization_url(f"{oauth_server}/o/authorize/", code_verifier=generate_token(48))
    callback = browser.authorize(url, user)

    with pytest.raises(OAuthError) as refused:
        session.fetch_token(
            f"{oauth_server}/o/token/", authorization_response=callback, code_verifier=generate_token(48)
        )

    assert refused.value.error == "invalid_grant"


def test_consent_denied__access_denied_and_no_code(oauth_server, browser, user, make_client):
    credentials = make_client()
    session = _session(credentials, scope=SCOPES)
    url, state = session.create_authorization_url(f"{oauth_server}/o/authorize/", code_verifier=generate_token(48))

    location = browser.authorize(url, user, allow=False)

    assert _query(location)["error"] == "access_denied"
    assert _query(location)["state"] == state
    assert "code" not in _query(location)


def test_public_client__pkce_without_secret__gets_tokens(oauth_server, browser, user, make_client):
    credentials = make_client(public=True)
    assert credentials.client_secret is None

    _, token = _code_flow(oauth_server, browser, user, credentials, token_endpoint_auth_method="none")

    assert token["access_token"] and token["refresh_token"]


def test_refresh__rotates__reuse_revokes_the_grant_and_is_audited(oauth_server, browser, user, make_client):
    credentials = make_client()
    session, first = _code_flow(oauth_server, browser, user, credentials)

    second = session.refresh_token(f"{oauth_server}/o/token/", refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    response = _api(oauth_server, second["access_token"], RESOLVED)
    assert response.status_code == 404  # authenticated: no such env
    assert response.json()["code"] == "not_found"

    with pytest.raises(OAuthError) as reused:
        session.refresh_token(f"{oauth_server}/o/token/", refresh_token=first["refresh_token"])

    assert reused.value.error == "invalid_grant"
    assert AuditEvent.objects.filter(action="oauth.token.reuse_detected").count() == 1
    refused = _api(oauth_server, second["access_token"], RESOLVED)
    assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"
    with pytest.raises(OAuthError):  # the whole grant is revoked, the newest refresh token too
        session.refresh_token(f"{oauth_server}/o/token/", refresh_token=second["refresh_token"])


def test_revocation__access_token_refused_at_once_and_introspected_inactive(oauth_server, browser, user, make_client):
    credentials = make_client()
    session, token = _code_flow(oauth_server, browser, user, credentials)
    introspect = f"{oauth_server}/o/introspect/"
    active = session.introspect_token(introspect, token=token["access_token"]).json()
    assert active["active"] is True and active["client_id"] == credentials.client_id

    session.revoke_token(f"{oauth_server}/o/revoke_token/", token=token["access_token"])

    assert session.introspect_token(introspect, token=token["access_token"]).json() == {"active": False}
    refused = _api(oauth_server, token["access_token"], RESOLVED)
    assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"
    assert AuditEvent.objects.filter(action="oauth.token.revoked").exists()


def test_introspection__public_client__refused(oauth_server, browser, user, make_client):
    public = make_client(public=True)
    _, token = _code_flow(oauth_server, browser, user, public, token_endpoint_auth_method="none")

    response = requests.post(
        f"{oauth_server}/o/introspect/",
        data={"token": token["access_token"], "client_id": public.client_id},
        timeout=10,
    )

    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_client_credentials__config_read__reads_config_403_on_write_and_files(
    oauth_server, editor, make_client, make_entry
):
    make_entry("timeout", 30)
    credentials = make_client("client-credentials", owner=editor, scopes=["config:read"])
    session = OAuth2Session(credentials.client_id, credentials.client_secret, scope="config:read")

    token = session.fetch_token(f"{oauth_server}/o/token/", grant_type="client_credentials")

    assert "refresh_token" not in token
    assert _api(oauth_server, token["access_token"], RESOLVED).json() == {"timeout": 30}
    entry = entry_url("timeout")
    current = _api(oauth_server, token["access_token"], entry)
    assert current.status_code == 200
    write = _api(
        oauth_server,
        token["access_token"],
        entry,
        "PATCH",
        json={"value": 31},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert write.status_code == 403 and write.json()["code"] == "insufficient_scope"
    files = _api(oauth_server, token["access_token"], "/api/v1/files/")
    assert files.status_code == 403 and files.json()["code"] == "insufficient_scope"
    profile = _api(oauth_server, token["access_token"], "/api/v1/users/me/")
    assert profile.status_code == 403 and profile.json()["code"] == "insufficient_scope"


def test_client_credentials__scope_beyond_the_client__invalid_scope(oauth_server, editor, make_client):
    credentials = make_client("client-credentials", owner=editor, scopes=["config:read"])
    session = OAuth2Session(credentials.client_id, credentials.client_secret, scope="config:write")

    with pytest.raises(OAuthError) as refused:
        session.fetch_token(f"{oauth_server}/o/token/", grant_type="client_credentials")

    assert refused.value.error == "invalid_scope"


def test_config_write_scope__never_beyond_the_role__viewer_gets_403(oauth_server, user, make_client, make_entry):
    make_entry("timeout", 30)
    credentials = make_client("client-credentials", owner=user, scopes=["config:read", "config:write"])
    session = OAuth2Session(credentials.client_id, credentials.client_secret, scope="config:read config:write")
    token = session.fetch_token(f"{oauth_server}/o/token/", grant_type="client_credentials")
    entry = entry_url("timeout")
    current = _api(oauth_server, token["access_token"], entry)

    write = _api(
        oauth_server,
        token["access_token"],
        entry,
        "PATCH",
        json={"value": 31},
        headers={"If-Match": current.headers["ETag"]},
    )

    assert write.status_code == 403 and write.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("grant", "extra"), [("password", {"username": "a@example.com", "password": "x"}), ("implicit", {})]
)
def test_password_and_implicit_grants__refused(oauth_server, make_client, grant, extra):
    credentials = make_client()

    response = requests.post(
        f"{oauth_server}/o/token/",
        data={"grant_type": grant, **extra},
        auth=(credentials.client_id, credentials.client_secret),
        timeout=10,
    )

    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_implicit_response_type__refused(oauth_server, browser, user, make_client):
    credentials = make_client()
    url = (
        f"/o/authorize/?response_type=token&client_id={credentials.client_id}&redirect_uri={REDIRECT_URI}&scope=openid"
    )

    location = browser.authorize(url, user)

    assert _query(location)["error"] == "unsupported_response_type"
