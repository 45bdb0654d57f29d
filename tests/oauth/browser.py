"""The resource owner's browser in the OAuth tests: follows redirects, fills in the login and consent forms."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from tests.accounts.factories import DEFAULT_PASSWORD

_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    from html import unescape

    return {match["name"]: unescape(match["value"]) for match in _HIDDEN.finditer(html)}


class Browser:
    def __init__(self, origin: str):
        self.origin = origin
        self.session = requests.Session()

    def get(self, url: str) -> requests.Response:
        return self.session.get(urljoin(self.origin, url), allow_redirects=False, timeout=10)

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.session.post(
            urljoin(self.origin, url), data=data, allow_redirects=False, timeout=10, headers={"Referer": self.origin}
        )

    def login(self, email: str, password: str = DEFAULT_PASSWORD, next_url: str = "") -> requests.Response:
        page = self.get(f"/o/login/?{urlencode({'next': next_url})}" if next_url else "/o/login/")
        fields = hidden_fields(page.text)
        return self.post("/o/login/", {**fields, "email": email, "password": password})

    def authorize(self, authorization_url: str, user, *, allow: bool = True, code: str | None = None) -> str:
        """From the client's authorization URL to the redirect back to it (its Location), logging in first."""
        response = self.get(authorization_url)
        if response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/o/login/":
            next_url = parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]
            response = self.login(user.email, next_url=next_url)
            if code is not None:
                response = self.post("/o/login/", {**hidden_fields(response.text), "code": code})
            assert response.status_code == 302, response.text
            response = self.get(response.headers["Location"])
        if response.status_code == 302:
            return response.headers["Location"]  # an error sent back to the client
        assert response.status_code == 200, response.text
        decision = {"allow": "1"} if allow else {"deny": "1"}
        answered = self.post(response.url, {**hidden_fields(response.text), **decision})
        assert answered.status_code == 302, answered.text
        return answered.headers["Location"]
