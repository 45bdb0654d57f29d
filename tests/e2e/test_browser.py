"""A real browser (headless Chromium, driven by Playwright) against real gunicorn: the admin and Swagger UI.

Staff logs in to the admin, revokes a user's session (the user's token stops working), finds the audit
event of that revocation, then opens Swagger UI, authorizes with a bearer token and runs one request.
Screenshots of every step go to reports/e2e/. Uses Debian's chromium (never a downloaded browser) and
skips, saying why, where it is not installed (`apt-get install -y chromium`).
"""

from __future__ import annotations

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from accounts.roles import Role
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.e2e.conftest import SHOTS
from tests.support.auth import live_login, server_password
from tests.support.servers import ROOT, gunicorn_server

pytestmark = pytest.mark.slow


def _user(email: str, **extra):
    user = UserFactory(email=email, **extra)
    server_password(user)
    return user


@pytest.fixture
def actors(transactional_db):
    """Staff and a victim, and the static files: made before the browser starts, because Playwright's sync
    API runs an event loop in this thread and Django refuses the ORM inside it."""
    staff = _user("staff@example.com", role=Role.ADMIN, is_staff=True, is_superuser=True)
    victim = _user("victim@example.com", role=Role.VIEWER)
    # DEBUG is off, so whitenoise serves STATIC_ROOT; copying is enough (compressing would take a minute).
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return staff, victim


@pytest.mark.django_db(transaction=True)
def test_admin_revokes_session__audit_shows_it__swagger_runs_authorized_request(actors, browser):
    staff, victim = actors

    with gunicorn_server(workers=2) as base:
        victim_token = live_login(base, victim.email)["access"]
        staff_token = live_login(base, staff.email)["access"]
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", staff.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.screenshot(path=SHOTS / "01-admin-login.png")
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        page.screenshot(path=SHOTS / "02-admin-home.png")

        page.goto(f"{base}/admin/accounts/usersession/?q={victim.email}")
        page.check("input[name=_selected_action]")
        page.select_option("select[name=action]", "revoke")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist")
        message = page.inner_text(".messagelist")
        page.screenshot(path=SHOTS / "03-session-revoked.png", full_page=True)
        revoked = requests.get(
            f"{base}/api/v1/users/me/", headers={"Authorization": f"Bearer {victim_token}"}, timeout=30
        )

        page.goto(f"{base}/admin/audit/auditevent/?q=auth.session.revoked")
        page.wait_for_selector("#result_list")
        audit_rows = page.inner_text("#result_list")
        page.screenshot(path=SHOTS / "04-audit-event.png", full_page=True)

        page.goto(f"{base}/api/v1/docs/")
        page.wait_for_selector(".swagger-ui .btn.authorize", timeout=30000)
        page.screenshot(path=SHOTS / "05-swagger-ui.png")
        page.click(".swagger-ui .btn.authorize")
        scheme = page.locator(".modal-ux .auth-container", has_text="Bearer").first  # not the Api-Key scheme
        scheme.locator("input").first.fill(staff_token)
        scheme.locator("button.authorize").click()
        page.screenshot(path=SHOTS / "06-swagger-authorized.png")
        page.locator(".modal-ux button.btn-done").first.click()
        operation = page.locator(".opblock-get", has=page.locator("[data-path='/api/v1/users/me/']")).first
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()
        status = operation.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for(timeout=30000)
        live_status = status.inner_text().strip()
        live_body = operation.locator(".live-responses-table .microlight").first.inner_text()
        operation.screenshot(path=SHOTS / "07-swagger-authorized-request.png")

    assert "Revoked 1 session" in message
    assert revoked.status_code == 401, "the revoked session's token still works"
    assert revoked.json()["code"] == "session_revoked"
    assert "auth.session.revoked" in audit_rows
    assert staff.email in audit_rows or str(staff.pk) in audit_rows, "the event does not name who revoked"
    assert live_status.startswith("200")
    assert staff.email in live_body
    print(f"\ne2e: screenshots in {SHOTS.relative_to(ROOT)}/ (7 steps)")
