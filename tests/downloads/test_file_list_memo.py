"""The plain file list (`GET /api/v1/files/`, Bearer) remembered per owner under their marker: a repeated read
makes no query and builds no serializer; every write of one of the owner's File rows, however it is made and on
whichever instance, replaces the marker after its commit, so the next read shows it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts import revocation
from accounts.lifecycle import users_remove_unverified_expired
from core import cache
from core.pagination import PageNumberPagination
from downloads import selectors, services
from downloads.blobs import files_storage
from downloads.maintenance import file_verify
from downloads.models import File
from downloads.serializers import FileOutputSerializer
from downloads.views import FileViewSet
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.downloads.factories import make_file
from tests.support.auth import bearer as auth_header
from tests.support.auth import login
from tests.support.contract import ContractAPIClient
from tests.support.servers import gunicorn_server
from tests.uploads.factories import LIST_URL as UPLOADS_URL
from tests.uploads.factories import OFFSET_STREAM, TUS

pytestmark = pytest.mark.django_db(transaction=True)  # writes must commit: the marker changes on commit

URL = "/api/v1/files/"
REDIS = bool(settings.REDIS_URL)  # without it the cache is a table: reading the marker is a query
# The live test's login is in-process, from an address of its own (see tests/accounts/test_live_instances.py).
OWN_ADDRESS = "192.0.2.10"


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch):
    monkeypatch.setattr(selectors, "_LISTS", {})


@pytest.fixture
def bearer(user) -> ContractAPIClient:
    return login(user).client()


def _list(client, url: str = URL, **extra):
    """The response and the queries of the File table it made."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return response, [query for query in queries.captured_queries if File._meta.db_table in query["sql"]]


def _names(response) -> list[str]:
    return [item["name"] for item in response.json()["results"]]


def _remembered(owner_id) -> bool:
    return str(owner_id) in selectors._LISTS


def _marker(owner_id):
    return django_cache.get(selectors.file_list_marker_key(owner_id))


def test_file_list__repeated__no_file_query_no_serializer(bearer, user, monkeypatch):
    make_file(owner=user, name="a.txt")
    first, first_reads = _list(bearer)
    monkeypatch.setattr(FileOutputSerializer, "to_representation", lambda *args: pytest.fail("serialized"))

    again, reads = _list(bearer)

    assert len(first_reads) == 1
    assert reads == []
    assert again.content == first.content
    assert _names(again) == ["a.txt"]


@pytest.mark.skipif(not REDIS, reason="the embedded mode's cache is a table: the session check is a query")
def test_file_list__repeated__no_query_at_all(bearer, user, django_assert_num_queries):
    make_file(owner=user)
    bearer.get(URL)

    with django_assert_num_queries(0):
        assert bearer.get(URL).status_code == 200


@pytest.mark.parametrize("page_size", [50, 2])  # 2: the first page has a `next` link (absolute, by host)
def test_file_list__remembered__byte_identical_to_the_full_path(bearer, user, monkeypatch, page_size):
    monkeypatch.setattr(PageNumberPagination, "page_size", page_size)
    for name in ("a.txt", "b.txt", "c.txt"):
        make_file(owner=user, name=name)
    rendered, _ = _list(bearer)
    remembered, reads = _list(bearer)
    monkeypatch.setattr(FileViewSet, "prefetch_cache_keys", lambda self, kwargs, *, api_key: [])
    full, _ = _list(bearer)  # nothing prefetched: the list as it always was, a DRF Response

    assert reads == []
    assert remembered.content == rendered.content == full.content
    per_response = {"X-Request-ID"}
    headers = [{k: v for k, v in r.items() if k not in per_response} for r in (rendered, remembered, full)]
    assert headers[0] == headers[1] == headers[2]
    assert (full.json()["next"] is not None) == (page_size == 2)


def test_file_list__remembered__per_host(bearer, user, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 1)
    make_file(owner=user)
    make_file(owner=user)
    _list(bearer)

    other, reads = _list(bearer, HTTP_HOST="localhost")

    assert other.json()["next"].startswith("http://localhost/")
    assert len(reads) == 1


def test_remembered_file_list__the_body_served_under_that_marker_and_url_only(bearer, user):
    make_file(owner=user)
    response, _ = _list(bearer)
    marker, url = _marker(user.pk), f"http://testserver{URL}"

    assert selectors.remembered_file_list(str(user.pk), marker, url) == response.content
    assert selectors.remembered_file_list(str(user.pk), "another marker", url) is None
    assert selectors.remembered_file_list(str(user.pk), None, url) is None
    assert selectors.remembered_file_list(str(user.pk), marker, "http://localhost/api/v1/files/") is None
    assert selectors.remembered_file_list("some-other-owner", marker, url) is None


def test_file_list__each_owner_their_own(user, other_user):
    mine, theirs = login(user).client(), login(other_user).client()
    make_file(owner=user, name="mine.txt")
    make_file(owner=other_user, name="theirs.txt")
    _list(mine)
    _list(theirs)

    make_file(owner=other_user, name="new.txt")
    again, reads = _list(mine)

    assert (_names(again), reads) == (["mine.txt"], [])
    assert _names(_list(theirs)[0]) == ["new.txt", "theirs.txt"]


def _upload(client) -> None:
    body = io.BytesIO(b"uploaded")
    body.name = "new.txt"
    assert client.post(URL, {"file": body}, format="multipart").status_code == 201


def _tus_upload(client) -> None:
    metadata = "filename bmV3LnR4dA=="  # new.txt
    response = client.post(
        UPLOADS_URL,
        b"uploaded",
        content_type=OFFSET_STREAM,
        HTTP_UPLOAD_LENGTH="8",
        HTTP_UPLOAD_METADATA=metadata,
        **TUS,
    )
    assert response.status_code == 201, response.content
    assert response["Upload-File-Id"]


def _replace(client, file: File) -> None:
    url = f"{URL}{file.pk}/content/"
    assert client.put(url, b"new bytes", content_type="application/octet-stream").status_code == 200


def _delete(client, file: File) -> None:
    assert client.delete(f"{URL}{file.pk}/").status_code == 204


WRITES = {
    "upload": (lambda client, file: _upload(client), lambda body, file: "new.txt" in _names(body)),
    "tus upload completed": (lambda client, file: _tus_upload(client), lambda body, file: "new.txt" in _names(body)),
    "content replaced": (
        lambda client, file: _replace(client, file),
        lambda body, file: body.json()["results"][0]["size"] == len(b"new bytes"),
    ),
    "delete": (lambda client, file: _delete(client, file), lambda body, file: body.json()["count"] == 0),
    "service call (a shell, a job)": (
        lambda client, file: services.file_delete(file=file),
        lambda body, file: body.json()["count"] == 0,
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_file_list__after_each_write__shows_it(bearer, user, write):
    file = make_file(owner=user, name="old.txt")
    _list(bearer)
    act, shows = WRITES[write]

    act(bearer, file)
    response, reads = _list(bearer)

    assert shows(response, file), response.json()
    assert reads  # an empty page costs Django's count as well
    assert _list(bearer)[1] == []  # and remembered again


def test_file_list__another_instances_write__seen_though_this_process_still_has_the_old_list(bearer, user):
    file = make_file(owner=user, name="old.txt")
    _list(bearer)
    # Another instance: the row changes there and the shared marker is replaced; this process's copy stays.
    File.objects.filter(pk=file.pk).update(name="renamed.txt")
    django_cache.set(selectors.file_list_marker_key(user.pk), cache.new_marker())
    assert _remembered(user.pk)

    response, reads = _list(bearer)

    assert (_names(response), len(reads)) == (["renamed.txt"], 1)


def test_file_list__write_while_a_reader_renders__reader_keeps_it_under_the_old_marker_only(bearer, user, monkeypatch):
    make_file(owner=user, name="old.txt")
    remember = selectors.file_list_remember

    def write_then_remember(*args):  # the write commits after the reader's query, before it keeps the body
        make_file(owner=user, name="new.txt")
        remember(*args)

    monkeypatch.setattr(selectors, "file_list_remember", write_then_remember)
    raced, _ = _list(bearer)
    monkeypatch.setattr(selectors, "file_list_remember", remember)

    response, reads = _list(bearer)

    assert _names(raced) == ["old.txt"]
    assert (_names(response), len(reads)) == (["new.txt", "old.txt"], 1)


def test_file_list__verify_marks_corruption__list_read_again(bearer, user):
    file = make_file(owner=user)
    _list(bearer)
    with files_storage().open(file.storage_name, "wb") as blob:
        blob.write(b"tampered")

    assert file_verify(file) is False
    _, reads = _list(bearer)

    assert len(reads) == 1


def test_file_list__files_verify_command__list_read_again(bearer, user):
    file = make_file(owner=user)
    _list(bearer)
    files_storage().delete(file.storage_name)

    with pytest.raises(CommandError):
        call_command("files_verify")
    _, reads = _list(bearer)

    assert len(reads) == 1


def test_file_list__admin_saves_the_file__list_read_again(bearer, user, admin_user, client):
    file = make_file(owner=user)
    _list(bearer)
    client.force_login(admin_user)

    response = client.post(f"/admin/downloads/file/{file.pk}/change/", {"_save": "Save"})
    _, reads = _list(bearer)

    assert response.status_code == 302
    assert len(reads) == 1


@pytest.mark.parametrize("how", ["account deleted", "user row deleted", "unverified account removed"])
def test_file_list__owner_gone__marker_replaced_and_copy_forgotten(user, how):
    make_file(owner=user)
    make_file(owner=user)
    owner_id = user.pk  # delete() sets it to None
    _list(login(user).client())
    old = _marker(owner_id)

    if how == "account deleted":
        response = login(user).client().post("/api/v1/users/me/delete/", {"password": DEFAULT_PASSWORD}, format="json")
        assert response.status_code == 204, response.content
    elif how == "user row deleted":  # the admin's delete, a shell: the files go by cascade
        user.delete()
    else:
        joined = timezone.now() - timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT + 60)
        type(user).objects.filter(pk=user.pk).update(email_verified=False, last_login=None, date_joined=joined)
        assert users_remove_unverified_expired() == 1

    assert not File.objects.filter(owner_id=owner_id).exists()
    assert _marker(owner_id) not in (None, old)
    assert not _remembered(owner_id)


def test_file_list__query_string__the_full_path_every_time(bearer, user):
    make_file(owner=user)
    _list(bearer, f"{URL}?page=1")

    _, reads = _list(bearer, f"{URL}?page=1")

    assert len(reads) == 1
    assert not _remembered(user.pk)


def test_file_list__indented_json__the_full_path(bearer, user):
    make_file(owner=user)
    _list(bearer)

    response, reads = _list(bearer, HTTP_ACCEPT="application/json; indent=4")

    assert len(reads) == 1
    assert response.content.startswith(b"{\n    ")


def test_file_list__admin_sees_everyone_s__never_remembered(admin_user, user):
    client = login(admin_user).client()
    make_file(owner=user)
    _list(client)

    make_file(owner=user)
    response, reads = _list(client)

    assert (response.json()["count"], len(reads)) == (2, 1)
    assert not _remembered(admin_user.pk)


def test_file_list__cache_down__read_from_the_database(bearer, user, monkeypatch):
    make_file(owner=user, name="a.txt")
    _list(bearer)

    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(revocation, "read_and_hit", down)
    response, reads = _list(bearer)

    assert (_names(response), len(reads)) == (["a.txt"], 1)


def test_file_list__cache_down_when_a_write_publishes__this_process_still_sees_it(bearer, user, monkeypatch):
    make_file(owner=user, name="a.txt")
    _list(bearer)
    monkeypatch.setattr(cache, "set_value", lambda *args, **kwargs: None)  # the marker stays as it was

    make_file(owner=user, name="b.txt")
    response, reads = _list(bearer)

    assert (_names(response), len(reads)) == (["b.txt", "a.txt"], 1)


def test_file_list__marker_missing__created_with_add_then_remembered(bearer, user):
    make_file(owner=user)
    _list(bearer)
    django_cache.delete(selectors.file_list_marker_key(user.pk))  # expired, or evicted

    _, reads = _list(bearer)
    _, again_reads = _list(bearer)

    assert len(reads) == 1
    assert again_reads == []
    assert _marker(user.pk) is not None


def test_file_list__marker_set_by_another_reader_meanwhile__served_not_remembered(bearer, user, monkeypatch):
    make_file(owner=user)
    django_cache.delete(selectors.file_list_marker_key(user.pk))
    monkeypatch.setattr(cache, "add_value", lambda *args, **kwargs: False)  # another instance added first

    _list(bearer)

    assert not _remembered(user.pk)


@pytest.mark.slow
def test_two_instances__write_through_b__the_next_list_on_a_shows_it(user):
    headers = auth_header(login(user, REMOTE_ADDR=OWN_ADDRESS).access)
    file = make_file(owner=user, name="old.txt")

    def names_on(server: str) -> list[str]:
        response = requests.get(f"{server}{URL}", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["results"]]

    with gunicorn_server() as a, gunicorn_server() as b:
        assert names_on(a) == ["old.txt"]
        File.objects.filter(pk=file.pk).update(name="unseen.txt")  # no marker change: A keeps its copy
        assert names_on(a) == ["old.txt"]

        uploaded = requests.post(f"{b}{URL}", files={"file": ("new.txt", b"new")}, headers=headers, timeout=10)
        assert uploaded.status_code == 201, uploaded.text
        assert names_on(a) == ["new.txt", "unseen.txt"]

        assert requests.delete(f"{b}{URL}{file.pk}/", headers=headers, timeout=10).status_code == 204
        assert names_on(a) == ["new.txt"]
