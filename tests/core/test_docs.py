"""Swagger UI and ReDoc: served from local assets (drf-spectacular-sidecar), runnable under the docs CSP."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from config.settings.security import CSP_PAGES

# The requests pass the throttles, whose counters are a table in the embedded mode.
pytestmark = pytest.mark.django_db


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.urls.append(attributes["src"])
            else:
                self._in_script = True
        elif tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1


def _page_assets(client: Client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Security-Policy"] == CSP_PAGES
    parser = _Assets()
    parser.feed(response.content.decode())
    assert parser.inline_scripts == 0, "an inline script would be blocked by script-src 'self'"
    assert parser.urls, "no asset found: the page layout changed"
    return parser.urls


def _assert_local_and_served(client: Client, url: str) -> None:
    assert not re.match(r"^(https?:)?//", url), f"{url} is remote: the docs must work air-gapped"
    if url.startswith("/static/"):
        assert finders.find(url.removeprefix("/static/").split("?")[0]), f"{url} is not a local static file"
    else:
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_page__assets__are_local_and_scripts_are_files(client, path):
    for url in _page_assets(client, path):
        _assert_local_and_served(client, url)


def test_swagger_ui__start_up_script__is_served_as_a_file_pointing_at_the_schema(client):
    script = next(url for url in _page_assets(client, "/api/v1/docs/") if "script" in url and "static" not in url)
    response = client.get(script)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in response.content.decode()


def test_schema__json_format__is_served(client):
    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
