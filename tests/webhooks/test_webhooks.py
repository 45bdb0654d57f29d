"""Webhooks: subscriptions, the SSRF guard, and Standard Webhooks deliveries by the outbox worker."""

import http.server
import json
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as Verifier

from audit.models import AuditEvent
from background.delivery import deliver
from background.models import OutboxMessage
from configurations import services
from configurations.models import NamespaceMember
from webhooks import ssrf
from webhooks.models import WebhookDelivery

HOOKS = "/api/v1/namespaces/billing/webhooks/"
EVENTS = ["config.entry.created", "config.entry.updated", "config.entry.deleted", "config.change_request.applied"]


class Receiver:
    """A local receiver that verifies every delivery with the standardwebhooks library."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.requests: list[dict] = []
        self.secret: str | None = None

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        payload = Verifier(self.secret).verify(body, headers)
        self.requests.append({"headers": headers, "payload": payload})
        return 500 if len(self.requests) <= self.fail_first else 204


@contextmanager
def receiving(receiver: Receiver):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(receiver.handle(dict(self.headers), body))
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


def _create(client, url: str, **extra) -> dict:
    response = client.post(HOOKS, {"url": url, "events": EVENTS, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


def _run_outbox() -> None:
    """What the worker does: one try of every due message."""
    for pk in OutboxMessage.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True):
        deliver(pk)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/x", "http://localhost/x", "http://10.0.0.1/", "http://169.254.169.254/latest", "http://[::1]/"],
)
def test_webhook_create__private_destination__400(admin_client_api, environment, url):
    response = admin_client_api.post(HOOKS, {"url": url, "events": EVENTS})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"
    assert response.json()["errors"][0]["code"] == "url_not_allowed"


def test_webhook_create__secret_shown_once__audited_without_it(admin_client_api, environment, private_ok):
    body = _create(admin_client_api, "http://127.0.0.1:9/hook")

    assert body["secret"].startswith("whsec_")
    listed = admin_client_api.get(HOOKS).json()["results"]
    assert "secret" not in listed[0] and "secret" not in admin_client_api.get(f"{HOOKS}{body['id']}/").json()
    event = AuditEvent.objects.get(action="webhook.created")
    assert body["secret"] not in json.dumps([event.changes, event.metadata])


def test_webhook_manage__editor_403__namespace_admin_201(editor_client, user, environment, private_ok):
    from tests.support.contract import ContractAPIClient

    refused = editor_client.post(HOOKS, {"url": "http://127.0.0.1:9/", "events": EVENTS})
    NamespaceMember.objects.create(namespace=environment.namespace, user=user, role="admin")
    client = ContractAPIClient()
    client.force_authenticate(user)

    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert client.post(HOOKS, {"url": "http://127.0.0.1:9/", "events": EVENTS}).status_code == 201


def test_webhook_update_and_delete(admin_client_api, environment, private_ok):
    body = _create(admin_client_api, "http://127.0.0.1:9/hook")

    patched = admin_client_api.patch(f"{HOOKS}{body['id']}/", {"active": False, "environments": ["production"]})
    deleted = admin_client_api.delete(f"{HOOKS}{body['id']}/")
    gone = admin_client_api.get(f"{HOOKS}{body['id']}/")

    assert patched.status_code == 200 and patched.json()["active"] is False
    assert deleted.status_code == 204
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"


def test_entry_write__delivered_signed_verified_no_secret_value(admin_client_api, editor, environment, private_ok):
    receiver = Receiver()
    with receiving(receiver) as url:
        hook = _create(admin_client_api, url)
        receiver.secret = hook["secret"]
        entry = services.entry_create(
            environment=environment, key="token", value_type="string", value="s3cr3t", secret=True, actor=editor
        )
        services.entry_update(entry=entry, if_match=None, fields={"value": "other"}, actor=editor)
        _run_outbox()

    assert [r["payload"]["type"] for r in receiver.requests] == ["config.entry.created", "config.entry.updated"]
    first = receiver.requests[0]
    assert first["payload"]["data"] == {
        "namespace": "billing",
        "environment": "production",
        "key": "token",
        "version": 1,
    }
    assert first["headers"]["webhook-signature"].startswith("v1,")
    assert "s3cr3t" not in json.dumps(receiver.requests)
    log = admin_client_api.get(f"{HOOKS}{hook['id']}/deliveries/").json()["results"]
    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("config.entry.updated", "delivered", 1, 204),
        ("config.entry.created", "delivered", 1, 204),
    ]


def test_receiver_failing_twice__third_try_same_webhook_id__then_delivered(
    admin_client_api, editor, environment, private_ok
):
    receiver = Receiver(fail_first=2)
    with receiving(receiver) as url:
        receiver.secret = _create(admin_client_api, url)["secret"]
        services.entry_create(environment=environment, key="k", value_type="integer", value=1, actor=editor)
        for _ in range(3):
            _run_outbox()
            delivery = WebhookDelivery.objects.get()
            OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())

    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 204)


def test_first_failure__retry_scheduled_within_30_s(admin_client_api, editor, environment, private_ok):
    receiver = Receiver(fail_first=1)
    with receiving(receiver) as url:
        receiver.secret = _create(admin_client_api, url)["secret"]
        services.entry_create(environment=environment, key="k", value_type="integer", value=1, actor=editor)
        _run_outbox()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at <= timezone.now() + timedelta(seconds=30)


def test_rolled_back_write__nothing_queued(admin_client_api, editor, environment, private_ok):
    _create(admin_client_api, "http://127.0.0.1:9/hook")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.entry_create(environment=environment, key="k", value_type="integer", value=1, actor=editor)
        raise RuntimeError("the write fails after the event")

    assert not WebhookDelivery.objects.exists() and not OutboxMessage.objects.exists()


def test_filters__event_and_environment(admin_client_api, editor, environment, private_ok):
    _create(admin_client_api, "http://127.0.0.1:9/a", events=["config.entry.deleted"])
    _create(admin_client_api, "http://127.0.0.1:9/b", environments=["staging"])

    services.entry_create(environment=environment, key="k", value_type="integer", value=1, actor=editor)

    assert not WebhookDelivery.objects.exists()


def test_redeliver__202_same_webhook_id(admin_client_api, editor, environment, private_ok):
    receiver = Receiver()
    with receiving(receiver) as url:
        hook = _create(admin_client_api, url)
        receiver.secret = hook["secret"]
        services.entry_create(environment=environment, key="k", value_type="integer", value=1, actor=editor)
        _run_outbox()
        delivery = WebhookDelivery.objects.get()
        response = admin_client_api.post(f"{HOOKS}{hook['id']}/deliveries/{delivery.pk}/redeliver/")
        _run_outbox()

    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.message_id] * 2


def test_delivery__dns_now_private__refused_not_connected(settings, admin_client_api, editor, environment, monkeypatch):
    _create(admin_client_api, "https://93.184.215.14/hook")  # a public literal passes the check at creation
    monkeypatch.setattr(ssrf, "_allowed", lambda address: False)  # ... and now resolves somewhere refused
    connected = []
    monkeypatch.setattr(ssrf.socket, "create_connection", lambda *a, **k: connected.append(a))
    services.entry_create(environment=environment, key="k", value_type="integer", value=1, actor=editor)

    _run_outbox()

    delivery = WebhookDelivery.objects.get()
    assert connected == [] and delivery.status == "pending" and "loopback, private" in delivery.last_error
