"""Signed links are listed and revoked; a deactivated owner's links stop working (issue 12.13, API.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import user_set_active
from audit.models import AuditEvent
from downloads.models import FileLink
from tests.downloads.factories import make_file

pytestmark = pytest.mark.django_db


def _links_url(file) -> str:
    return f"/api/v1/files/{file.pk}/links/"


def _create_link(client, file, expires_in: int = 600) -> str:
    response = client.post(_links_url(file), {"expires_in": expires_in}, format="json")
    assert response.status_code == 201
    return response.json()["url"]


def test_link_list__live_links_without_urls_newest_first(user_client, user):
    file = make_file(owner=user)
    _create_link(user_client, file)
    _create_link(user_client, file)
    FileLink.objects.create(file=file, etag=file.etag, expires_at=timezone.now() - timedelta(seconds=1))

    response = user_client.get(_links_url(file))

    assert response.status_code == 200
    results = response.json()["results"]
    live = FileLink.objects.filter(expires_at__gt=timezone.now()).order_by("-created_at")
    assert [item["id"] for item in results] == [str(link.pk) for link in live]
    assert set(results[0]) == {"id", "expires_at", "created_at"}
    assert "/d/" not in response.content.decode()


def test_link_list__someone_elses_file__404(other_client, user):
    file = make_file(owner=user)

    response = other_client.get(_links_url(file))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_link_revoke__204_and_the_link_answers_410_at_once(user_client, user):
    file = make_file(owner=user)
    url = _create_link(user_client, file)
    assert APIClient().get(url).status_code == 200
    link_id = user_client.get(_links_url(file)).json()["results"][0]["id"]

    response = user_client.delete(f"{_links_url(file)}{link_id}/")

    assert response.status_code == 204
    gone = APIClient().get(url)
    assert gone.status_code == 410
    assert gone.json()["code"] == "link_revoked"
    assert user_client.get(_links_url(file)).json()["results"] == []
    event = AuditEvent.objects.get(action="file.link.revoked")
    assert event.metadata == {"link_id": link_id}


def test_link_revoke__other_users_file_or_unknown_link__404(user_client, other_client, user):
    file = make_file(owner=user)
    _create_link(user_client, file)
    link = FileLink.objects.get()

    foreign = other_client.delete(f"{_links_url(file)}{link.pk}/")
    unknown = user_client.delete(f"{_links_url(file)}{FileLink._meta.pk.default()}/")

    assert foreign.status_code == 404
    assert foreign.json()["code"] == "not_found"
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    assert FileLink.objects.filter(pk=link.pk).exists()


def test_link__owner_deactivated__410(user_client, user):
    file = make_file(owner=user)
    url = _create_link(user_client, file)

    user_set_active(user=user, is_active=False)
    response = APIClient().get(url)

    assert response.status_code == 410
    assert response.json()["code"] == "link_revoked"
