import pytest
from django.db import transaction
from django.test import RequestFactory

from audit.chain import compute_hash
from audit.context import serving
from audit.models import ActorType, AuditChainHead, AuditEvent
from audit.services import record
from tests.accounts.factories import UserFactory
from tests.audit.factories import sealed

pytestmark = pytest.mark.django_db


class FakeApiKey:
    audit_actor_type = "api_key"
    pk = 42


def test_record__user_actor__stores_type_id_and_chains_hash(user):
    first, stored = sealed(record("test.first.done", actor=user), record("test.second.done", actor=user, target=user))

    assert (stored.actor_type, stored.actor) == (ActorType.USER, str(user.pk))
    assert (stored.target_type, stored.target_id) == ("accounts.user", str(user.pk))
    assert stored.prev_hash == first.hash
    assert stored.hash == compute_hash(vars(stored))
    assert stored.seq == first.seq + 1


def test_record__inside_transaction__unsealed_until_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = record("test.event.recorded")
        assert (event.seq, event.hash) == (None, None)

    event.refresh_from_db()
    assert event.seq is not None and event.hash == compute_hash(vars(event))


def test_record__api_key_on_request_auth__is_the_actor(rf, user):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="probe/1")
    request.user, request.auth = user, FakeApiKey()

    event = record("config.resolved.read", request=request)

    assert (event.actor_type, event.actor) == ("api_key", "42")
    assert (event.ip, event.user_agent) == ("203.0.113.9", "probe/1")


def test_record__no_request__is_system():
    assert record("audit.test.ran").actor_type == ActorType.SYSTEM


def test_record__anonymous_request__is_anonymous(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    assert record("auth.login.failed", request=request).actor_type == ActorType.ANONYMOUS


def test_record__request_being_served__is_used_when_none_passed(rf, user):
    request = rf.get("/", REMOTE_ADDR="198.51.100.7")
    request.user, request.request_id = user, "req-1"
    with serving(request):
        event = record("test.context.used")
    assert (event.actor, event.ip, event.request_id) == (str(user.pk), "198.51.100.7", "req-1")


def test_record__forged_forwarded_for__ip_is_the_peer(rf, settings):
    settings.TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert record("auth.login.failed", request=request).ip == "192.0.2.1"


def test_record__client_info_disabled__keeps_no_ip_or_user_agent(rf, settings):
    settings.AUDIT_STORE_CLIENT_INFO = False
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="curl/8")
    event = record("auth.login.failed", request=request)
    assert (event.ip, event.user_agent) == (None, "")


def test_record__rolled_back_transaction__leaves_no_hole():
    first = record("test.kept.one")
    with pytest.raises(RuntimeError), transaction.atomic():
        record("test.rolled.back")
        raise RuntimeError
    first, second = sealed(first, record("test.kept.two"))

    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert AuditChainHead.objects.get().last_hash == second.hash
    assert not AuditEvent.objects.filter(action="test.rolled.back").exists()


def test_record__bad_action__raises_value_error():
    with pytest.raises(ValueError):
        record("Not A Dotted Action")


def test_record__secrets__are_stripped_from_changes_and_metadata(user):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlX2J5dGVz"
    api_key = "k7Qz9XvB2mN4pL8rT1wY6uE3sA5dF0gH"
    event = record(
        "test.secrets.passed",
        actor=user,
        changes={"password": ["old-Pa55", "new-Pa55"], "value": ["plain", "also plain"]},
        metadata={"note": f"token {jwt}", "raw": api_key, "api_key": "x", "sha256": "ab" * 32},
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    dumped = str(vars(stored))
    for secret in ("old-Pa55", "new-Pa55", jwt, api_key):
        assert secret not in dumped
    assert stored.changes["value"] == ["plain", "also plain"]
    assert stored.metadata["sha256"] == "ab" * 32


def test_record_model_change__named_after_the_model_and_secrets_stripped():
    from audit.services import record_model_change

    account = UserFactory()

    event = record_model_change(
        "updated", account, {"display_name": ["a", "b"], "password": ["Sup3r-secret-pw!", "Other-secret-pw!"]}
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.target_id) == ("model.accounts.user.updated", str(account.pk))
    assert stored.changes["display_name"] == ["a", "b"]
    assert "Sup3r-secret-pw!" not in str(stored.changes)


@pytest.fixture
def rf() -> RequestFactory:
    return RequestFactory()


def test_record__system_actor_object__system_with_its_name():
    from types import SimpleNamespace

    event = record("config.keys.rotated", actor=SimpleNamespace(pk="manage.py", audit_actor_type="system"))
    assert (event.actor_type, event.actor) == ("system", "manage.py")


def test_record__unknown_actor_type__value_error():
    from types import SimpleNamespace

    with pytest.raises(ValueError):
        record("test.event.recorded", actor=SimpleNamespace(pk=1, audit_actor_type="robot"))


def test_seal_function__hashes_as_audit_chain_says():
    """Migration 0005 spells out the hash expression (a migration is history): it must stay the chain's."""
    from importlib import import_module

    from audit.chain import hash_sql

    migration = import_module("audit.migrations.0005_seal_function")

    assert hash_sql("audit_auditevent", "v_seq", "v_hash") in migration.SEAL_FUNCTION


def test_events_seal__several_pending__chained_in_id_order_head_moved(user):
    with transaction.atomic():
        events = [record("test.pending.event", actor=user) for _ in range(3)]

    sealed_events = sealed(*events)

    assert [event.seq for event in sealed_events] == [sealed_events[0].seq + n for n in range(3)]
    assert [event.prev_hash for event in sealed_events[1:]] == [event.hash for event in sealed_events[:2]]
    assert all(event.hash == compute_hash(vars(event)) for event in sealed_events)
    assert AuditChainHead.objects.get().last_seq == sealed_events[-1].seq
