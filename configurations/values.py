"""Validation of entry values against their type and optional JSON Schema (jsonschema library)."""

from __future__ import annotations

import math
from typing import Any

from jsonschema import exceptions as schema_exceptions
from jsonschema import validators
from referencing.exceptions import Unresolvable

from configurations.models import ValueType
from core.errors import ValidationError

MASK = "********"


def _fits_type(value: Any, value_type: str) -> bool:
    # bool is a subclass of int in Python, but true is not an integer in JSON.
    if value_type == ValueType.STRING:
        return isinstance(value, str)
    if value_type == ValueType.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if value_type == ValueType.NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if value_type == ValueType.BOOLEAN:
        return isinstance(value, bool)
    return True  # json: any JSON value


def _unstorable(value: Any, path: str = "value") -> tuple[str, str] | None:
    """Where `value` holds what JSON columns refuse: NUL characters (PostgreSQL jsonb) or a number too
    large for a double (json.loads turns 1e400 into infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, "The number is out of range."
    if isinstance(value, str) and "\x00" in value:
        return path, "NUL characters are not allowed."
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(key, path) or _unstorable(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable(item, f"{path}.{index}")
            if found:
                return found
    return None


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: message}, code=code)


def validate_schema(schema: Any) -> None:
    """A JSON Schema must be an object (or boolean) that its own metaschema accepts."""
    if schema is None:
        return
    if not isinstance(schema, (dict, bool)):
        raise _invalid("schema", "A JSON Schema is an object.", "invalid_schema")
    unstorable = _unstorable(schema, "schema")
    if unstorable:
        raise _invalid(*unstorable, "invalid_schema")
    validator_class = validators.validator_for(schema if isinstance(schema, dict) else {})
    try:
        validator_class.check_schema(schema)
    except schema_exceptions.SchemaError as exc:
        path = ".".join(str(part) for part in exc.absolute_path)
        raise _invalid(f"schema.{path}" if path else "schema", exc.message, "invalid_schema") from None


def validate_value(value: Any, *, value_type: str, schema: Any) -> None:
    """Raise a 400 whose errors point at the failing part of the value (`value.servers.0.port`)."""
    if value is None or not _fits_type(value, value_type):
        raise _invalid("value", f"The value is not of type {value_type}.", "type_mismatch")
    try:
        unstorable = _unstorable(value)
    except RecursionError:
        unstorable = ("value", "The value is nested too deeply.")
    if unstorable:
        raise _invalid(*unstorable, "invalid_value")
    if schema is None:
        return
    validator = validators.validator_for(schema if isinstance(schema, dict) else {})(schema)
    try:
        errors = sorted(validator.iter_errors(value), key=lambda error: [str(part) for part in error.absolute_path])
    except (Unresolvable, RecursionError) as exc:
        # A $ref that points nowhere (remote references are never fetched) or back at itself forever.
        raise _invalid("schema", f"The schema cannot be applied: {type(exc).__name__}.", "invalid_schema") from None
    if not errors:
        return
    detail: dict[str, list[str]] = {}
    for error in errors:
        path = ".".join(str(part) for part in error.absolute_path)
        field = f"value.{path}" if path else "value"
        detail.setdefault(field, []).append(error.message)
    raise ValidationError(detail, code="schema_mismatch")
