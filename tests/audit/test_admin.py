import pytest
from django.test import Client

from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_admin_changelist__filters_and_search__200(staff_client):
    record("auth.logout")
    response = staff_client.get("/admin/audit/auditevent/", {"q": "auth.logout", "actor_type": "system"})
    assert response.status_code == 200
    assert b"auth.logout" in response.content


def test_admin__add_change_delete__refused(staff_client):
    event = record("auth.logout")
    assert staff_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert staff_client.post(f"/admin/audit/auditevent/{event.id}/delete/").status_code == 403
    page = staff_client.get(f"/admin/audit/auditevent/{event.id}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_admin_checkpoints__listed(staff_client):
    assert staff_client.get("/admin/audit/auditcheckpoint/").status_code == 200
