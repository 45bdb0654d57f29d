"""Page-number lists read a page and its total in one query, with Django's answers past the end."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.pagination import OneQueryPaginator
from downloads.models import File
from tests.downloads.factories import make_file

pytestmark = pytest.mark.django_db
URL = "/api/v1/files/"


@pytest.fixture
def five_files(user) -> list:
    return [make_file(owner=user, name=f"file-{n}.txt") for n in range(5)]


def test_file_list__page_and_total__one_query(user_client, five_files):
    user_client.get(URL)  # the principal's row and permissions, once
    with CaptureQueriesContext(connection) as queries:
        body = user_client.get(f"{URL}?page=2&page_size=2").json()

    file_queries = [query["sql"] for query in queries.captured_queries if File._meta.db_table in query["sql"]]
    assert len(file_queries) == 1 and "COUNT(" in file_queries[0]
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"].endswith("?page=3&page_size=2")
    assert body["previous"].endswith("/files/?page_size=2")  # DRF drops page=1


def test_file_list__last_page__no_next(user_client, five_files):
    body = user_client.get(f"{URL}?page=3&page_size=2").json()

    assert (body["count"], len(body["results"]), body["next"]) == (5, 1, None)


@pytest.mark.parametrize("page", ["4", "0", "-1", "x", "1.5", "27222597639091658752"])
def test_file_list__page_past_the_end_or_not_a_number__404_not_found(user_client, five_files, page):
    response = user_client.get(f"{URL}?page={page}&page_size=2")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_file_list__no_files__empty_first_page(user_client):
    body = user_client.get(URL).json()

    assert (body["count"], body["results"], body["next"], body["previous"]) == (0, [], None, None)


@pytest.mark.parametrize(
    "rows",
    [
        lambda: User.objects.order_by("pk").values("pk"),
        lambda: User.objects.order_by("pk").distinct(),
        lambda: [1, 2, 3],
    ],
    ids=["values", "distinct", "list"],
)
def test_paginator__rows_a_window_would_count_differently__django_count(rows, user, other_user):
    page = OneQueryPaginator(rows(), 1).page(2)

    assert page.paginator.count == len(list(rows()))
    assert len(page.object_list) == 1
