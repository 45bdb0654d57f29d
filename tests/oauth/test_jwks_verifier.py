"""Must show: another process verifies a login access token and an OAuth access token from the JWKS URL alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.support.auth import login

pytestmark = pytest.mark.django_db(transaction=True)

# The other service: PyJWT and the JWKS URL, nothing of this project (run with -I: no project on sys.path).
VERIFIER = """
import json, sys
import jwt
jwks_url, login_token, oauth_token, issuer = sys.argv[1:5]
keys = jwt.PyJWKClient(jwks_url)
def check(token, **expected):
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=[key.algorithm_name], **expected)
login = check(login_token)
oauth = check(oauth_token, audience=issuer.rsplit("/", 1)[0] + "/api/v1/", issuer=issuer)
print(json.dumps({"login": login, "oauth": oauth}))
"""


def test_other_process__verifies_login_and_oauth_tokens_from_the_jwks_url_alone(
    oauth_server, editor, make_client, tmp_path
):
    credentials = make_client("client-credentials", owner=editor, scopes=["config:read"])
    oauth = OAuth2Session(credentials.client_id, credentials.client_secret, scope="config:read")
    oauth_token = oauth.fetch_token(f"{oauth_server}/o/token/", grant_type="client_credentials")["access_token"]
    login_token = login(editor).access
    discovery = requests.get(f"{oauth_server}/o/.well-known/openid-configuration", timeout=10).json()
    script = tmp_path / "verifier.py"
    script.write_text(VERIFIER)

    result = subprocess.run(
        [sys.executable, "-I", str(script), discovery["jwks_uri"], login_token, oauth_token, discovery["issuer"]],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    verified = json.loads(result.stdout)
    assert verified["login"]["user_id"] == str(editor.pk)
    assert verified["oauth"]["client_id"] == credentials.client_id
    assert verified["oauth"]["scope"] == "config:read"
    tampered = login_token[:-4] + ("AAAA" if not login_token.endswith("AAAA") else "BBBB")
    refused = subprocess.run(
        [sys.executable, "-I", str(script), discovery["jwks_uri"], tampered, oauth_token, discovery["issuer"]],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert refused.returncode != 0 and "InvalidSignatureError" in refused.stderr
