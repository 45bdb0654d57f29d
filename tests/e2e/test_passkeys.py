"""Passkeys in a real browser: headless Chromium with a CDP virtual authenticator against real gunicorn.

The page (on http://localhost:PORT, the relying party `localhost`) runs both WebAuthn ceremonies with the
browser's own navigator.credentials: it registers a discoverable passkey for a signed-in user who has TOTP
on, then signs in with it without an e-mail (a passkey satisfies the second factor), and replays the
assertion, which the server refuses.
"""

from __future__ import annotations

import pytest
import requests

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.mfa_support import enable_totp
from tests.e2e.conftest import SHOTS
from tests.support.auth import server_password
from tests.support.servers import free_port, gunicorn_server

pytestmark = pytest.mark.slow

VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}

# Runs in the page: the browser's WebAuthn API, the JSON forms of WebAuthn Level 3 both ways.
REGISTER_JS = """async (token) => {
  const auth = {"Authorization": `Bearer ${token}`, "Content-Type": "application/json"};
  const optionsResponse = await fetch("/api/v1/auth/passkeys/register/options/", {method: "POST", headers: auth});
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(await optionsResponse.json());
  const credential = await navigator.credentials.create({publicKey});
  const response = await fetch("/api/v1/auth/passkeys/register/", {
    method: "POST", headers: auth, body: JSON.stringify({credential: credential.toJSON(), name: "Chromium virtual"}),
  });
  return {status: response.status, body: await response.json()};
}"""
LOGIN_JS = """async () => {
  const json = {"Content-Type": "application/json"};
  const optionsUrl = "/api/v1/auth/passkeys/login/options/";
  const optionsResponse = await fetch(optionsUrl, {method: "POST", headers: json, body: "{}"});
  const options = await optionsResponse.json();
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  const assertion = await navigator.credentials.get({publicKey});
  const body = JSON.stringify({credential: assertion.toJSON()});
  const first = await fetch("/api/v1/auth/passkeys/login/", {method: "POST", headers: json, body});
  const replay = await fetch("/api/v1/auth/passkeys/login/", {method: "POST", headers: json, body});
  return {allow: options.allowCredentials || [], status: first.status, body: await first.json(),
          replayStatus: replay.status, replayBody: await replay.json()};
}"""


@pytest.fixture
def holder(transactional_db):
    """A user with TOTP on, made before the browser starts (Playwright's loop refuses the ORM)."""
    user = UserFactory(email="holder@example.com")
    server_password(user)
    totp = enable_totp(user)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return totp


@pytest.mark.django_db(transaction=True)
def test_passkey__register_then_discoverable_login_in_chromium__replay_refused(holder, browser):
    port = free_port()
    origin = f"http://localhost:{port}"
    with gunicorn_server(port=port, WEBAUTHN_RP_ID="localhost", WEBAUTHN_ORIGINS=origin) as base:
        first_step = requests.post(
            f"{base}/api/v1/auth/token/", json={"email": holder.user.email, "password": DEFAULT_PASSWORD}, timeout=30
        ).json()
        second_step = requests.post(
            f"{base}/api/v1/auth/mfa/verify/",
            json={"mfa_token": first_step["mfa_token"], "code": holder.code()},
            timeout=30,
        )
        token = second_step.json()["access"]

        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
        page.goto(f"{origin}/api/v1/docs/")
        registered = page.evaluate(REGISTER_JS, token)
        credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]})
        signed_in = page.evaluate(LOGIN_JS)
        page.screenshot(path=SHOTS / "passkeys-01-after-ceremonies.png")
        me = requests.get(
            f"{base}/api/v1/users/me/", headers={"Authorization": f"Bearer {signed_in['body']['access']}"}, timeout=30
        )
        context.close()

    assert first_step["code"] == "mfa_required" and second_step.status_code == 200
    assert registered["status"] == 201, registered
    assert registered["body"]["name"] == "Chromium virtual"
    [credential] = credentials["credentials"]
    assert credential["isResidentCredential"] is True
    assert signed_in["allow"] == []  # discoverable: no e-mail, no allow list
    assert signed_in["status"] == 200, signed_in
    assert signed_in["body"]["token_type"] == "Bearer"
    assert me.status_code == 200 and me.json()["email"] == holder.user.email
    assert signed_in["replayStatus"] == 401
    assert signed_in["replayBody"]["code"] == "invalid_passkey"
