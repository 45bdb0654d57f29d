"""OutputModelSerializer: one bound set of context-free fields per class, the same output as DRF's own."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import AccountUserOutputSerializer
from configurations import services
from configurations.serializers import EntryOutputSerializer
from core.serializers import OutputModelSerializer, _plan
from tests.configurations.factories import EnvironmentFactory

pytestmark = pytest.mark.django_db


def _drf(serializer_class, instance, **kwargs) -> dict:
    """What DRF's own ModelSerializer.to_representation gives for the same fields."""
    return serializers.ModelSerializer.to_representation(serializer_class(instance, **kwargs), instance)


def test_user_output__same_as_drf_with_fields_shared_per_class(user):
    assert _plan(AccountUserOutputSerializer) is not None
    assert AccountUserOutputSerializer(user).data == _drf(AccountUserOutputSerializer, user)


def test_entry_output__method_field_uses_each_serializers_own_context(editor):
    entry = services.entry_create(
        environment=EnvironmentFactory(), key="token", value="s3cret", value_type="string", secret=True, actor=editor
    )

    masked = EntryOutputSerializer(entry, context={"reveal": False}).data
    revealed = EntryOutputSerializer(entry, context={"reveal": True}).data

    assert masked["value"] == "********" and revealed["value"] == "s3cret"
    assert masked == _drf(EntryOutputSerializer, entry, context={"reveal": False})


def test_output_serializer__field_that_may_read_its_serializer__drf_path_per_instance(user):
    class WithLink(OutputModelSerializer):
        link = serializers.HyperlinkedIdentityField(view_name="v1:users-detail")

        class Meta:
            model = User
            fields = ["id", "link"]

    assert _plan(WithLink) is None
    with pytest.raises(AssertionError, match="request"):  # DRF's own path: it needs the request in context
        WithLink(user).data  # noqa: B018
