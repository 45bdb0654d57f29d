"""The sliding-window throttle counter on the shared cache (Redis script or plain cache calls)."""

from __future__ import annotations

import uuid

import pytest

from core.throttles import window_hit

pytestmark = pytest.mark.django_db

WINDOW = 60
START = 1_800_000_020.0  # 20 s into a window


@pytest.fixture
def key() -> str:
    return f"throttle_test_{uuid.uuid4().hex}"


def test_window_hit__under_the_limit__allowed_and_counted(key):
    results = [window_hit(key, 3, WINDOW, START + n) for n in range(3)]

    assert [allowed for allowed, *_ in results] == [True, True, True]
    assert [current for _, current, _ in results] == [1, 2, 3]


def test_window_hit__at_the_limit__refused_and_not_counted(key):
    for n in range(3):
        window_hit(key, 3, WINDOW, START + n)

    refused = [window_hit(key, 3, WINDOW, START + 5) for _ in range(4)]

    assert refused == [(False, 3, 0)] * 4


def test_window_hit__next_window__previous_count_weighs_by_overlap(key):
    for n in range(4):
        window_hit(key, 4, WINDOW, START + n)
    next_start = START - 20 + WINDOW

    # 6 s into the next window the previous one still weighs 0.9: 3.6 of 4 used, one more fits
    assert window_hit(key, 4, WINDOW, next_start + 6)[0] is True
    assert window_hit(key, 4, WINDOW, next_start + 6)[0] is False
    # half-way, 2 + 1 of 4 used
    assert window_hit(key, 4, WINDOW, next_start + 30)[0] is True


def test_window_hit__separate_keys__counted_apart(key):
    window_hit(key, 1, WINDOW, START)

    assert window_hit(key, 1, WINDOW, START)[0] is False
    assert window_hit(key + "-other", 1, WINDOW, START)[0] is True
