"""The data a fuzzer cannot guess, created before the schemathesis run (tests/fuzz/run_schemathesis.py).

schemathesis warns "missing test data" for an operation whose every valid case answered 404, and "schema
validation mismatch" when they all answered another 4xx. Some inputs no schema can describe: an existing
slug or id, the caller's own password, a token from an e-mail, the id of a tus upload (only in `Location`).
They are made here, through the API where it has a way and with the ORM where only an e-mail or an
authenticator could (users, e-mailed tokens, a passkey), and handed to schemathesis as environment variables
that tests/fuzz/schemathesis.toml names in its `[[operations]]` parameters.

Objects an operation deletes or uses up are its own (`seed-delete`, one change request per decision), so the
order in which schemathesis visits operations does not matter.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pyotp
import requests

from loadtests.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, http_json

NS = ENV = "fuzz-seed"
ENTRY, ENTRY_DELETED = "seed", "seed-delete"
# A public address given as a literal, so the SSRF guard checks it without DNS; nothing delivers to it
# (the stack runs no worker).
WEBHOOK_URL = "http://9.9.9.9/fuzz-webhook"
WEBHOOK_EVENTS = [
    "config.entry.created",
    "config.entry.updated",
    "config.entry.deleted",
    "config.entry.rolled_back",
    "config.change_request.applied",
]
UPLOAD_LENGTH = 16 * 1024 * 1024
# Users and tokens only an e-mail or the admin could make. The e-mail change token moves the admin to the
# address it already has: the confirmation accepts it every time (a real one dies with the old address).
_ORM_SCRIPT = """
import json
import pyotp
from django.utils import timezone
from accounts.mfa import _new_recovery_codes
from accounts.models import Passkey, TOTPDevice, User
from accounts.tokens import email_change_token, email_verification_token, password_reset_token
from configurations.crypto import encrypt_value

password = {password!r}
admin = User.objects.get(email={admin!r})


def user(name, verified=True):
    return User.objects.create_user(f"{{name}}@fuzz.example.com", password, email_verified=verified)


# A user with a TOTP device of a known secret: on (with recovery codes), or an enrolment pending.
def totp_user(name, confirmed=True):
    secret = pyotp.random_base32()
    account = user(name)
    TOTPDevice.objects.create(
        user=account, secret_encrypted=encrypt_value(secret), confirmed_at=timezone.now() if confirmed else None
    )
    return {{"email": account.email, "secret": secret, "recovery": _new_recovery_codes(account) if confirmed else []}}


for name in ("delete-me", "password-change"):
    user(name)
passkey = Passkey.objects.create(user=admin, name="fuzz", credential_id=b"fuzz-seed", public_key=b"fuzz")
print(json.dumps({{
    "users": {{name: str(user(name).pk) for name in ("member-patch", "member-delete", "member-new", "author")}},
    "verify": [email_verification_token(user(f"unverified-{{n}}", verified=False)) for n in range(3)],
    "reset": [password_reset_token(user(f"reset-{{n}}")) for n in range(3)],
    "email_change": email_change_token(admin, admin.email),
    "passkey": str(passkey.pk),
    "mfa_on": totp_user("mfa-on"),
    "mfa_verify": totp_user("mfa-verify"),
    "totp_disable": [totp_user(f"totp-disable-{{n}}") for n in range(3)],
    "totp_confirm": [totp_user(f"totp-confirm-{{n}}", confirmed=False) for n in range(3)],
}}))
"""


class _Client:
    def __init__(self, stack: Stack, token: str):
        self.base = f"{stack.base_url}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expected: int, **kwargs: object) -> requests.Response:
        response = self.session.request(method, f"{self.base}{path}", timeout=60, **kwargs)
        if response.status_code != expected:
            raise RuntimeError(f"seed: {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response

    def post(self, path: str, body: dict) -> dict:
        return self.call("POST", path, 201, json=body).json()


def seed(stack: Stack) -> dict[str, str]:
    """Create the data; answer the environment variables the schemathesis config reads."""
    orm = json.loads(
        stack.manage("shell", "--no-imports", "-c", _ORM_SCRIPT.format(password=ADMIN_PASSWORD, admin=ADMIN_EMAIL))
        .strip()
        .splitlines()[-1]
    )
    users = orm["users"]
    admin = _Client(stack, stack.token())
    environment = f"/namespaces/{NS}/environments/{ENV}"
    admin.post("/namespaces/", {"slug": NS})
    admin.post(f"/namespaces/{NS}/environments/", {"slug": ENV})
    for name, role in (("member-patch", "viewer"), ("member-delete", "viewer"), ("author", "editor")):
        admin.post(f"/namespaces/{NS}/members/", {"user": users[name], "role": role})
    webhook = admin.post(f"/namespaces/{NS}/webhooks/", {"url": WEBHOOK_URL, "events": WEBHOOK_EVENTS})["id"]
    webhook_deleted = admin.post(f"/namespaces/{NS}/webhooks/", {"url": WEBHOOK_URL, "events": WEBHOOK_EVENTS})["id"]
    for key in (ENTRY, ENTRY_DELETED):  # after the webhook: their creation is its first delivery
        admin.post(f"{environment}/entries/", {"key": key, "value": "fuzz", "value_type": "string"})
    delivery = admin.call("GET", f"/namespaces/{NS}/webhooks/{webhook}/deliveries/", 200).json()["results"][0]["id"]
    api_key = admin.post(f"{environment}/api-keys/", {"name": "fuzz"})["id"]
    change = {"title": "fuzz", "changes": [{"key": "changed", "op": "set", "value": "x", "value_type": "string"}]}
    own_change = str(admin.post(f"{environment}/change-requests/", change)["id"])
    author = _Client(stack, stack.token(user_email("author"), ADMIN_PASSWORD))
    approve, reject, apply = (str(author.post(f"{environment}/change-requests/", change)["id"]) for _ in range(3))
    admin.call("POST", f"{environment}/change-requests/{apply}/approve/", 200)
    file_id = admin.call("POST", "/files/", 201, files={"file": ("fuzz.txt", b"fuzz seed\n" * 100)}).json()["id"]
    link = admin.post(f"/files/{file_id}/links/", {"expires_in": 86400})["url"]
    download = admin.post("/downloads/", {"file": file_id})["id"]
    uploads = [_upload(admin) for _ in range(2)]
    return {
        "FUZZ_PASSWORD": ADMIN_PASSWORD,
        "FUZZ_NS": NS,
        "FUZZ_ENV": ENV,
        "FUZZ_ENTRY": ENTRY,
        "FUZZ_ENTRY_DELETED": ENTRY_DELETED,
        "FUZZ_WEBHOOK_URL": WEBHOOK_URL,
        "FUZZ_WEBHOOK": webhook,
        "FUZZ_WEBHOOK_DELETED": webhook_deleted,
        "FUZZ_DELIVERY": delivery,
        "FUZZ_API_KEY": api_key,
        "FUZZ_CHANGE_OWN": own_change,
        "FUZZ_CHANGE_APPROVE": approve,
        "FUZZ_CHANGE_REJECT": reject,
        "FUZZ_CHANGE_APPLY": apply,
        "FUZZ_MEMBER_PATCH": users["member-patch"],
        "FUZZ_MEMBER_DELETE": users["member-delete"],
        "FUZZ_MEMBER_NEW": users["member-new"],
        "FUZZ_LINK_TOKEN": urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1],
        "FUZZ_FILE": file_id,
        "FUZZ_DOWNLOAD": download,
        "FUZZ_UPLOAD_APPEND": uploads[0],
        "FUZZ_UPLOAD_TERMINATE": uploads[1],
        "FUZZ_UPLOAD_LENGTH": str(UPLOAD_LENGTH),
        "FUZZ_PASSKEY": orm["passkey"],
        "FUZZ_EMAIL_CHANGE_TOKEN": orm["email_change"],
        # One run per phase each (see run_schemathesis.Group.runs): what one success uses up.
        "FUZZ_SINGLE_USE_RUNS": json.dumps(
            [
                {
                    "FUZZ_VERIFY_TOKEN": verify,
                    "FUZZ_RESET_TOKEN": reset,
                    "FUZZ_MFA_TOKEN": _mfa_token(stack, orm["mfa_verify"]["email"]),
                    "FUZZ_CODE": code,
                }
                for verify, reset, code in zip(orm["verify"], orm["reset"], orm["mfa_verify"]["recovery"], strict=False)
            ]
        ),
        "FUZZ_RECOVERY_RUNS": json.dumps([{"token": _mfa_login(stack, orm["mfa_on"])}]),
        "FUZZ_TOTP_DISABLE_RUNS": json.dumps(
            [{"token": _mfa_login(stack, device), "FUZZ_CODE": device["recovery"][0]} for device in orm["totp_disable"]]
        ),
        "FUZZ_TOTP_CONFIRM_RUNS": json.dumps(
            [{"user": device["email"], "totp_secret": device["secret"]} for device in orm["totp_confirm"]]
        ),
    }


def user_email(name: str) -> str:
    """The address of a user the ORM script made (the throwaway users of the self-revoking groups)."""
    return f"{name}@fuzz.example.com"


def other_session(stack: Stack) -> str:
    """The id of a second session of the admin (one the revoking group's own token is not)."""
    client = _Client(stack, stack.token())
    return next(s["id"] for s in client.call("GET", "/auth/sessions/", 200).json()["results"] if s["current"])


def _mfa_token(stack: Stack, email: str) -> str:
    """The first step of a login with TOTP on: the token the second step takes."""
    status, body = http_json(
        "POST", f"{stack.base_url}/api/v1/auth/token/", {"email": email, "password": ADMIN_PASSWORD}
    )
    if status != 401 or body.get("code") != "mfa_required":
        raise RuntimeError(f"seed: a login with TOTP on answered {status}: {body}")
    return body["mfa_token"]


def _mfa_login(stack: Stack, device: dict) -> str:
    """An access token of a user with TOTP on: both steps, the second with the current code."""
    body = {"mfa_token": _mfa_token(stack, device["email"]), "code": pyotp.TOTP(device["secret"]).now()}
    status, answer = http_json("POST", f"{stack.base_url}/api/v1/auth/mfa/verify/", body)
    if status != 200:
        raise RuntimeError(f"seed: the second step answered {status}: {answer}")
    return answer["access"]


def _upload(client: _Client) -> str:
    response = client.call(
        "POST", "/uploads/", 201, headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(UPLOAD_LENGTH)}
    )
    return urlsplit(response.headers["Location"]).path.rstrip("/").rsplit("/", 1)[-1]
