"""Watch: hold a resolved/ request until the environment's document changes (`Prefer: wait=N`).

Per process there is one hub thread (a greenlet under the gevent worker, config/gunicorn.conf.py) that
learns of writes, and any number of waiting requests, each blocked on its own Event, holding no database
connection while it waits:
- with Redis, writers publish `ns:env` on one channel after their commit (`publish`, called where the
  resolved document's marker is replaced); the hub is subscribed, and also compares the markers of the
  watched environments once a second, in case a message was lost while it reconnected;
- without Redis (the embedded mode), the hub compares those markers every POLL_INTERVAL seconds, one
  cache read for all of them.
On a change the hub first re-checks each distinct credential among the waiters once (`Waiter.authorize`:
a revoked API key or session, an expired token or a lost membership must not receive the new document;
its waiters are answered with that refusal instead), then renders each watched document variant once
(not once per watcher: 500 watchers must not make 500 database reads at the same instant) and wakes
exactly the waiters whose ETag it no longer matches. Plain `threading` primitives, so the same code runs
in tests and under a sync worker, where a watcher then does hold its worker.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections

from configurations.resolved import ResolvedDocument, marker_key, resolved_document
from configurations.watch_channel import channel
from core import cache
from health.state import is_shutting_down

logger = logging.getLogger("configurations.watch")

POLL_INTERVAL = 0.25  # seconds, without Redis: well inside the 1 s a write may take to reach a watcher
SAFETY_INTERVAL = 1.0  # seconds, with Redis: the marker comparison behind the subscription
MAX_WAIT = 60


@dataclass(eq=False)
class Waiter:
    namespace: str
    environment: str
    clear: bool  # the variant watched; on waking, the variant of `document`
    etag: str
    marker: str = ""  # the cache marker the waiter's document was rendered under
    # The caller's access now: whether it may see secrets in clear, or raises the refusal (an APIException
    # for a revoked or expired credential, a lost membership). Waiters with the same `credential` share
    # one call per change. None: access as when the watch began.
    authorize: Callable[[], bool] | None = None
    credential: str = ""
    event: threading.Event = field(default_factory=threading.Event)
    document: ResolvedDocument | None = None
    refusal: BaseException | None = None


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[tuple[str, str], set[Waiter]] = {}
        self._markers: dict[tuple[str, str], object] = {}
        self._pid: int | None = None

    # The waiting side -------------------------------------------------------------------------------

    def wait(self, waiter: Waiter, timeout: float) -> ResolvedDocument | None:
        """Block up to `timeout` s; the new document once it no longer matches `waiter.etag`, else None.
        Raises the waiter's refusal when its access was re-checked on a change and refused."""
        self._ensure_running()
        target = (waiter.namespace, waiter.environment)
        with self._lock:
            self._waiters.setdefault(target, set()).add(waiter)
            # A write between the waiter's render and now shows as a marker other than its own.
            self._markers.setdefault(target, waiter.marker)
        try:
            waiter.event.wait(timeout)
            if waiter.refusal is not None:
                raise copy.copy(waiter.refusal)  # one refusal per credential, raised in each of its requests
            return waiter.document
        finally:
            with self._lock:
                waiters = self._waiters.get(target)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del self._waiters[target]
                        self._markers.pop(target, None)

    def count(self) -> int:
        with self._lock:
            return sum(len(waiters) for waiters in self._waiters.values())

    # The notifying side ------------------------------------------------------------------------------

    def changed(self, target: tuple[str, str]) -> None:
        """Render the target's watched variants once each and wake the waiters they no longer match."""
        with self._lock:
            waiters = list(self._waiters.get(target, ()))
        if not waiters:
            return
        verdicts: dict[tuple[str, bool], bool | BaseException] = {}
        try:
            for waiter in waiters:
                if (waiter.credential, waiter.clear) not in verdicts:
                    verdicts[waiter.credential, waiter.clear] = self._authorize(waiter)
            documents: dict[bool, ResolvedDocument] = {}
            for clear in {verdict for verdict in verdicts.values() if isinstance(verdict, bool)}:
                documents[clear] = resolved_document(namespace=target[0], environment=target[1], clear=clear)
        except Exception:  # an environment deleted meanwhile, a database outage: wake them all
            logger.warning("watch refresh of %s/%s failed; releasing its watchers", *target, exc_info=True)
            documents = {}
        finally:
            connections.close_all()  # back to the pool: the hub holds no connection between changes
        for waiter in waiters:
            verdict = verdicts.get((waiter.credential, waiter.clear), waiter.clear)
            if not isinstance(verdict, bool):
                waiter.refusal = verdict
                waiter.event.set()
                continue
            document = documents.get(verdict)
            if document is None or document.etag != waiter.etag:
                waiter.document, waiter.clear = document, verdict
                waiter.event.set()

    @staticmethod
    def _authorize(waiter: Waiter) -> bool | BaseException:
        """Whether the waiter's caller may see secrets now, or why it may no longer read (any failure to
        re-check, a cache or database outage included, refuses: the safe side)."""
        if waiter.authorize is None:
            return waiter.clear
        try:
            return waiter.authorize()
        except Exception as exc:
            return exc

    def release_all(self) -> None:
        """Answer every waiter now (304): a graceful shutdown must not wait out minute-long holds."""
        with self._lock:
            waiters = [waiter for group in self._waiters.values() for waiter in group]
        for waiter in waiters:
            waiter.event.set()

    def _compare_markers(self) -> None:
        with self._lock:
            targets = list(self._markers)
        if not targets:
            return
        current = cache.get_many([marker_key(*target) for target in targets])
        if not settings.REDIS_URL:
            connections.close_all()  # the database cache: hand the connection back between polls
        for target in targets:
            marker = current.get(marker_key(*target))
            with self._lock:
                if target not in self._markers or self._markers[target] == marker:
                    continue
                self._markers[target] = marker
            self._spawn(lambda target=target: self.changed(target))

    # The hub thread ----------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # a forked worker starts its own hub
        loop = self._listen if settings.REDIS_URL else self._poll
        self._spawn(loop)

    @staticmethod
    def _spawn(function: Callable[[], None]) -> None:
        threading.Thread(target=function, daemon=True, name="config-watch").start()

    def _poll(self) -> None:
        while True:
            self._guarded(self._compare_markers)
            self._release_on_shutdown()
            time.sleep(POLL_INTERVAL)

    def _release_on_shutdown(self) -> None:
        if is_shutting_down():
            self.release_all()

    def _listen(self) -> None:
        import redis

        while True:
            try:
                client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel())
                self._guarded(self._compare_markers)  # whatever changed while (re)connecting
                last_check = time.monotonic()
                while True:
                    message = pubsub.get_message(timeout=SAFETY_INTERVAL)
                    if message is not None:
                        self._on_message(message.get("data"))
                    if time.monotonic() - last_check >= SAFETY_INTERVAL:
                        self._guarded(self._compare_markers)
                        self._release_on_shutdown()
                        last_check = time.monotonic()
            except (redis.RedisError, OSError) as exc:
                logger.warning("watch subscription lost, reconnecting: %s", type(exc).__name__)
                time.sleep(POLL_INTERVAL)

    def _on_message(self, data: object) -> None:
        text = data.decode() if isinstance(data, bytes) else str(data)
        namespace, _, environment = text.partition(":")
        target = (namespace, environment)
        with self._lock:
            if target not in self._waiters:
                return
        self._spawn(lambda: self.changed(target))

    @staticmethod
    def _guarded(function: Callable[[], None]) -> None:
        try:
            function()
        except Exception:  # the hub must outlive any outage; waiters time out meanwhile
            logger.warning("watch check failed", exc_info=True)


hub = Hub()


def parse_wait(prefer: str) -> int | None:
    """N of a `Prefer: wait=N` header (RFC 7240), clamped to 1..MAX_WAIT; None without a wait preference."""
    for preference in prefer.split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                seconds = int(value.strip().strip('"'))
            except ValueError:
                return None
            return max(1, min(seconds, MAX_WAIT)) if seconds > 0 else None
    return None
