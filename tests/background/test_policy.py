"""Retry policy: exponential backoff with jitter, capped."""

from background.policy import RetryPolicy


def test_delay__first_retry__within_first_delay_and_at_least_half():
    policy = RetryPolicy(first_delay=20)

    delays = [policy.delay(1) for _ in range(200)]

    assert all(10 <= delay <= 20 for delay in delays)
    assert len(set(delays)) > 100  # jittered


def test_delay__doubles_each_try_until_the_cap():
    policy = RetryPolicy(first_delay=10, max_delay=100)

    assert 20 <= policy.delay(3) <= 40
    assert 50 <= policy.delay(30) <= 100
