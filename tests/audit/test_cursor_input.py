"""A cursor that decodes but names no integer position is bad input: 400 `invalid_cursor` (issue 12.12)."""

from __future__ import annotations

import base64

import pytest

URL = "/api/v1/audit/events/"

pytestmark = pytest.mark.django_db


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    "query",
    ["p=abc", "p=1.5", "p=", "p=-1", "p=" + "9" * 30, "o=0&r=0&p=%00", "p=1e9"],
)
def test_event_list__cursor_with_non_integer_position__400_invalid_cursor(auditor_client, query):
    response = auditor_client.get(URL, {"cursor": _cursor(query)})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_event_list__cursor_with_integer_position__200(auditor_client):
    assert auditor_client.get(URL, {"cursor": _cursor("p=12345")}).status_code == 200
