"""gunicorn settings: gevent workers, graceful shutdown, JSON access log, Prometheus multiprocess hooks.

Every value can be overridden from the environment (PORT, HOST, WEB_CONCURRENCY, GUNICORN_TIMEOUT, ...).
gevent workers (config.gevent_worker): watch requests wait as greenlets, not one worker each.
"""

import json
import multiprocessing
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from gunicorn import glogging

_root = Path(__file__).resolve().parent.parent
_multiproc_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_root / "var" / "prometheus")))

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# gevent: a watch request (resolved/ with `Prefer: wait=N`) is a greenlet waiting on the process's one
# change subscription, not a worker held for up to a minute (configurations.watch). GUNICORN_WORKER_CLASS=sync
# is the fallback (each watcher then holds its worker).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "config.gevent_worker.GeventWorker")
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# A sync worker is busy for a whole request, large transfers included: keep this above the slowest
# expected download or upload, or put a buffering proxy in front.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# How long a worker keeps serving, with /ready failing, after a graceful stop begins (< graceful_timeout).
drain_seconds = min(float(os.environ.get("GUNICORN_DRAIN_SECONDS", "5")), graceful_timeout / 2)
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1") or "127.0.0.1"
# The application logs one line per request itself (core.middleware.RequestLogMiddleware: route, user,
# client ip); gunicorn's own JSON access line is opt-in (GUNICORN_ACCESSLOG=-) to keep it one line.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
wsgi_app = "config.wsgi:application"
# gunicorn 27's runtime control socket defaults to one path per user, shared by every instance on the host.
control_socket_disable = True


class JsonAccessLogger(glogging.Logger):
    """Writes each access-log line as one JSON object (gunicorn's format strings do not escape JSON)."""

    def access(self, resp, req, environ, request_time):
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        from core.logging import redact  # in a worker, where the project is importable

        headers = dict(resp.headers)
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": headers.get("X-Request-ID"),
            "method": environ.get("REQUEST_METHOD"),
            "path": redact(environ.get("PATH_INFO") or ""),  # signed-link tokens live in paths
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        self.access_log.info(json.dumps(line))


logger_class = JsonAccessLogger


def on_starting(server):
    # Samples of a previous run would be summed into this one's.
    shutil.rmtree(_multiproc_dir, ignore_errors=True)
    _multiproc_dir.mkdir(parents=True, exist_ok=True)


def _call_later(delay: float, function) -> None:
    # A gevent worker runs signal handlers in its event loop, where starting a (patched) thread is a
    # blocking call that gevent refuses; its own timer is not.
    try:
        from gevent import monkey
    except ImportError:
        monkey = None
    if monkey is not None and monkey.is_module_patched("threading"):
        import gevent

        gevent.spawn_later(delay, function)
    else:
        threading.Timer(delay, function).start()


def post_worker_init(worker):
    # On SIGTERM (a graceful stop: the master forwards it to every worker) /ready fails at once, and the
    # worker keeps serving for drain_seconds so the load balancer sees that and stops sending traffic;
    # only then does it finish its request and exit. SIGINT/SIGQUIT still stop it at once.
    import gc

    from django.urls import get_resolver

    from health.state import begin_shutdown

    # Move what the worker loaded (settings, apps, the URLconf and its views) out of the collector's reach:
    # a full collection then scans only what requests made since, 60-70 ms instead of 150-180 ms with 500
    # held watchers, a pause every greenlet of the worker (a woken watcher too) waits out.
    get_resolver().url_patterns  # noqa: B018 - imports every view now, to be frozen with the rest
    gc.freeze()

    def stop() -> None:
        worker.alive = False
        os.write(worker.PIPE[1], b".")  # wakes the worker from select() so it exits now

    def on_term(signum, frame):
        if worker.alive:
            begin_shutdown()
            _call_later(drain_seconds, stop)

    signal.signal(signal.SIGTERM, on_term)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
