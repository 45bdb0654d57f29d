"""The admin shows configuration read-only, secrets masked, with the version history inline."""

import pytest

from configurations.models import ApiKey, Entry, EntryVersion, Environment, Namespace


@pytest.fixture
def admin_site_client(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", [Namespace, Environment, Entry, EntryVersion, ApiKey])
def test_admin_changelist__renders_without_add(admin_site_client, make_entry, make_api_key, model):
    make_entry()
    make_api_key()

    response = admin_site_client.get(f"/admin/configurations/{model._meta.model_name}/")

    assert response.status_code == 200
    assert f"/admin/configurations/{model._meta.model_name}/add/" not in response.content.decode()


def test_admin_entry_page__history_inline_and_secret_masked(admin_site_client, make_entry):
    entry = make_entry("db.password", "hunter2", "string", secret=True)

    response = admin_site_client.get(f"/admin/configurations/entry/{entry.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "hunter2" not in content
    assert "********" in content
    assert "Created" in content  # the version row, from the inline
    assert admin_site_client.post(f"/admin/configurations/entry/{entry.pk}/change/", {}).status_code == 403
