"""How an outbox kind retries: exponential backoff with jitter until a deadline, each try bounded."""

from __future__ import annotations

import random
from dataclasses import dataclass

_random = random.SystemRandom()


@dataclass(frozen=True)
class RetryPolicy:
    """Retry schedule of one outbox kind (all values in seconds).

    After the n-th failed try the next one waits `first_delay * 2**(n-1)` capped at `max_delay`, with
    "equal jitter" (half of it fixed, half random) so a recovering server is not hit by every message at
    once. The first failure at or after `give_up_after` seconds since the message was created is final
    (`failed`), so a message is retried for at least that long. `lease` is the longest one try may take:
    a worker that holds a message longer is presumed dead and the message is tried again.
    """

    first_delay: float = 15.0
    max_delay: float = 900.0
    give_up_after: float = 3600.0
    lease: float = 60.0

    def delay(self, tries: int) -> float:
        base = min(self.max_delay, self.first_delay * 2 ** max(tries - 1, 0))
        return base / 2 + _random.uniform(0, base / 2)
