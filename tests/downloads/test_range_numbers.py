"""Range numbers of any length are bad input at worst, never a 500 (issue 12.12; int() stops at 4,300 digits)."""

from __future__ import annotations

import pytest

from downloads.serving import parse_range
from tests.downloads.conftest import CONTENT, body_of

pytestmark = pytest.mark.django_db

SIZE = len(CONTENT)
HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"bytes={HUGE}-", []),
        (f"bytes=0-{HUGE}", [(0, 9)]),
        (f"bytes=-{HUGE}", [(0, 9)]),
        (f"bytes={HUGE}-{HUGE}", []),
        (f"bytes={HUGE}-{'9' * 4999}", None),
        (f"bytes={'0' * 5000}1-{'0' * 5000}2", [(1, 2)]),
        (f"bytes=-{'0' * 5000}", []),
        (f"bytes=3-{'0' * 5000}", None),
    ],
)
def test_parse_range__numbers_of_any_length__parsed_without_error(header, expected):
    assert parse_range(header, 10) == expected


@pytest.mark.parametrize(
    ("range_header", "status", "body"),
    [
        (f"bytes={HUGE}-", 416, None),
        (f"bytes=0-{HUGE}", 206, CONTENT),
        (f"bytes=-{HUGE}", 206, CONTENT),
        (f"bytes={'0' * 4400}7-{'0' * 4400}9", 206, CONTENT[7:10]),
    ],
)
def test_serving__range_with_thousands_of_digits__never_500(byte_endpoint, range_header, status, body):
    response = byte_endpoint.fetch(Range=range_header)

    assert response.status_code == status
    if status == 416:
        assert response.json()["code"] == "range_not_satisfiable"
        assert response["Content-Range"] == f"bytes */{SIZE}"
    else:
        assert body_of(response) == body
