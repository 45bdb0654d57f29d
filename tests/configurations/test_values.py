"""Unit tests of value validation and of the services' guards."""

import pytest

from configurations import services
from configurations.values import validate_schema, validate_value
from core.errors import NotFoundError, PreconditionFailedError, ValidationError


@pytest.mark.parametrize(
    ("value", "value_type"),
    [("x", "string"), (3, "integer"), (3, "number"), (2.5, "number"), (False, "boolean"), ([1, {"a": None}], "json")],
)
def test_validate_value__fitting_type__passes(value, value_type):
    validate_value(value, value_type=value_type, schema=None)


def test_validate_value__none__is_a_type_mismatch():
    with pytest.raises(ValidationError) as caught:
        validate_value(None, value_type="json", schema=None)

    assert list(caught.value.errors) == ["value"]
    assert caught.value.field_code == "type_mismatch"


def test_validate_value__boolean_schema_false__rejects_everything():
    validate_schema(False)

    with pytest.raises(ValidationError):
        validate_value(1, value_type="integer", schema=False)


def test_validate_value__several_failures__each_reported_at_its_path():
    schema = {"type": "object", "required": ["name"], "properties": {"port": {"type": "integer"}}}

    with pytest.raises(ValidationError) as caught:
        validate_value({"port": "80"}, value_type="json", schema=schema)

    assert set(caught.value.errors) == {"value", "value.port"}


@pytest.mark.parametrize("schema", [[1, 2], "string", {"type": 5}])
def test_validate_schema__not_a_schema__raises(schema):
    with pytest.raises(ValidationError):
        validate_schema(schema)


def test_namespace_create__bad_slug_through_service__400_not_500(db):
    with pytest.raises(ValidationError):
        services.namespace_create(slug="Not A Slug", actor=None)


def test_entry_update__entry_deleted_meanwhile__not_found(make_entry):
    entry = make_entry()
    services.entry_delete(entry=entry, if_match=[entry.etag], actor=None)

    with pytest.raises(NotFoundError):
        services.entry_update(entry=entry, if_match=[entry.etag], fields={"value": 1}, actor=None)


def test_entry_update__if_match_star__matches_any_version(make_entry):
    entry = make_entry()

    updated = services.entry_update(entry=entry, if_match=["*"], fields={"value": 1}, actor=None)

    assert updated.version == 2


def test_entry_delete__stale__precondition_failed(make_entry):
    entry = make_entry()

    with pytest.raises(PreconditionFailedError):
        services.entry_delete(entry=entry, if_match=['"stale"'], actor=None)


@pytest.mark.parametrize(
    "schema", [{"$ref": "http://example.com/schema.json"}, {"$ref": "#"}, {"$ref": "#/definitions/nope"}]
)
def test_validate_value__schema_that_cannot_be_applied__400_on_schema(schema):
    validate_schema(schema)

    with pytest.raises(ValidationError) as caught:
        validate_value(1, value_type="json", schema=schema)

    assert list(caught.value.errors) == ["schema"]


@pytest.mark.parametrize(
    ("value", "field"),
    [(float("inf"), "value"), ({"a": ["ok", "nul\x00"]}, "value.a.1"), ({"k\x00": 1}, "value"), ("\x00", "value")],
)
def test_validate_value__unstorable__400_pointing_at_it(value, field):
    with pytest.raises(ValidationError) as caught:
        validate_value(value, value_type="json", schema=None)

    assert list(caught.value.errors) == [field]


def test_entry_create__huge_number_and_nul__400_not_500(editor_client, environment):
    from tests.configurations.paths import ENTRIES

    huge = editor_client.generic(
        "POST", ENTRIES, '{"key": "n", "value_type": "number", "value": 1e400}', content_type="application/json"
    )
    nul = editor_client.post(ENTRIES, {"key": "s", "value_type": "string", "value": "a\x00b"})

    assert (huge.status_code, nul.status_code) == (400, 400)


def test_validate_schema__nul_inside__invalid_schema():
    with pytest.raises(ValidationError):
        validate_schema({"description": "a\x00"})


def test_entry_rollback__version_beyond_integer_range__400(editor_client, make_entry):
    from tests.configurations.paths import entry_url

    make_entry()

    response = editor_client.post(f"{entry_url('timeout')}rollback/", {"version": 2**63})

    assert response.status_code == 400
    assert response.json()["code"] == "max_value"


def test_validate_value__nested_deeper_than_the_stack__400():
    value: list = []
    for _ in range(5000):
        value = [value]

    with pytest.raises(ValidationError):
        validate_value(value, value_type="json", schema=None)
