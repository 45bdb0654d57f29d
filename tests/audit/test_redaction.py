import pytest

from audit.redaction import MASK, is_secret_key, scrub_text, strip_secrets


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "new_password",
        "api_key",
        "apiKey",
        "key",
        "key_hash",
        "token",
        "refresh",
        "client_secret",
        "Authorization",
        "privateKey",
    ],
)
def test_is_secret_key__secret_names__true(name):
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["display_name", "email", "role", "sha256", "monkey", "keyboard_layout", "slug"])
def test_is_secret_key__ordinary_names__false(name):
    assert not is_secret_key(name)


@pytest.mark.parametrize(
    "text",
    [
        "sha256 " + "ab" * 32,
        "id 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "my-very-long-namespace-slug-2026",
        "SOME_VERY_LONG_CONFIG_KEY_NAME_42",
    ],
)
def test_scrub_text__identifiers__kept(text):
    assert scrub_text(text) == text


def test_scrub_text__random_token__redacted():
    assert "2mX8rT4wY6uE1sA5dF0gHjK7" not in scrub_text("key ck_Zk3pQ9vL2mX8rT4wY6uE1sA5dF0gHjK7 used")
    assert "Pq7" not in scrub_text("raw Pq7vL2mX8rT4wY6uE1sA5dF0gHjK7Zk3 seen")


def test_strip_secrets__nested_and_tuples__masked_recursively():
    value = {"outer": [{"password": "p"}, ("token", "x")], "empty_secret": "", "n": 1}

    assert strip_secrets(value) == {"outer": [{"password": MASK}, ["token", "x"]], "empty_secret": "", "n": 1}
