"""gunicorn settings for the ``web:`` line of the Procfile (docs/benchmark.md, Server model).

gevent workers, one per core: a request waiting on Azure OpenAI (up to 45 s) or Stripe (up to
10 s) is a greenlet parked on a socket, so the worker goes on serving everyone else; sync workers
were blocked for the whole answer. Measured side by side with sync, gthread and granian in
``make bench`` (docs/benchmark.md, Server model, has the figures).

gunicorn's gevent worker monkey-patches the standard library in each worker before the
application is imported (``preload_app`` stays off, and this file imports nothing but ``os``),
so psycopg (gevent-aware since 3.1.14: it picks a cooperative wait when ``select`` is patched),
psycopg_pool's threads, httpx (openai), the Stripe client and boto3 all yield on I/O.

Database connections: the workers share ``CONNECTION_BUDGET`` (10 per instance: docs/deploy.md)
with the job worker beside them (the Procfile's ``worker:`` line, ``JOB_WORKER_CONNECTIONS``:
its procrastinate pool of one and its one Django connection, jobs/worker.py) and with the
commands an operator or a release runs (``migrate`` and ``validate_database`` while the old code still
serves): each non-sync worker gets Django's psycopg pool of
``(CONNECTION_BUDGET - JOB_WORKER_CONNECTIONS - RESERVED_FOR_COMMANDS) // workers``
connections (``DATABASE_POOL_MAX_SIZE``, read by huntaze/settings/base.py), 3 per worker on 2
cores, 6 in all. Sync workers (a benchmark candidate) keep one persistent connection each.

Time bounds: every slow call carries its own deadline in the app (AI 45 s in all, Stripe 10 s
per attempt, the pool 2 s, connect 3 s). ``timeout`` is, for gevent, the heartbeat of the worker's
event loop: a worker whose loop is blocked 60 s is killed and replaced. ``graceful_timeout``
lets a 45 s generation in flight finish on a restart or a deploy (the systemd unit's
``TimeoutStopSec`` and the ALB's deregistration delay sit above it: docs/deploy.md).
"""

import multiprocessing
import os
import shutil
import tempfile

CONNECTION_BUDGET = 10
JOB_WORKER_CONNECTIONS = 2
RESERVED_FOR_COMMANDS = 2

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# At most one worker per connection the budget leaves the web (6): each needs a pool of one.
MAX_WORKERS = CONNECTION_BUDGET - JOB_WORKER_CONNECTIONS - RESERVED_FOR_COMMANDS
workers = min(int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count())), MAX_WORKERS)
# gunicorn's gevent worker, accepting only while a request slot is free (huntaze/gunicorn_worker.py).
worker_class = "huntaze.gunicorn_worker.GeventWorker"
# Concurrent connections per worker (clients waiting on the model included). Past it, new
# connections wait in the listen backlog rather than pile up in a worker.
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", 200))
timeout = 60
graceful_timeout = 50
# One request per connection, as the sync workers always did: a kept-alive connection would bring
# its next request to this worker however busy it is (the load balancer keeps its own client
# connections; it opens one to the instance per request).
keepalive = int(os.environ.get("WEB_KEEPALIVE", 0))
max_requests = 0
accesslog = None  # one JSON line per request comes from huntaze.middleware instead
errorlog = "-"
loglevel = "warning"
# X-Forwarded-* from the load balancer; which client IP to trust is decided by the app
# (TRUSTED_PROXY_COUNT), not here.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
limit_request_line = 8190


def pool_size(worker_class_name: str, worker_count: int) -> int:
    """Connections of each worker's pool; 0 for sync workers (one persistent connection)."""
    if worker_class_name == "sync":
        return 0
    available = CONNECTION_BUDGET - JOB_WORKER_CONNECTIONS - RESERVED_FOR_COMMANDS
    return max(1, available // max(worker_count, 1))


def _size_database_pool(server) -> None:
    """Size the workers' database pool from the final settings (a command-line
    ``--worker-class`` or ``--workers`` overrides this file's), before any worker is forked."""
    if "DATABASE_POOL_MAX_SIZE" in os.environ:
        return
    name = server.cfg.worker_class_str.rsplit(".", 1)[-1].lower()
    name = {"syncworker": "sync"}.get(name, name)  # "gthread", "geventworker", …
    os.environ["DATABASE_POOL_MAX_SIZE"] = str(pool_size(name, server.cfg.workers))


def post_worker_init(worker):
    """Refuse to serve with a database driver that would block the whole gevent worker.

    psycopg chooses its wait function when ``psycopg.waiting`` is first imported: a cooperative
    one only if gevent had patched ``select`` by then. An import of psycopg before the worker's
    monkey-patching (``preload_app``, an import added to this file) would make every query block
    all the worker's greenlets, silently; this makes it a start-up failure instead.
    """
    from gunicorn.workers.ggevent import GeventWorker

    if not isinstance(worker, GeventWorker):
        return
    from gevent import monkey
    from psycopg import waiting

    if not monkey.is_module_patched("socket") or waiting.wait is getattr(waiting, "wait_c", None):
        worker.log.error("gevent worker without cooperative I/O (psycopg imported too early)")
        raise SystemExit(3)


# --- Prometheus multiprocess mode (huntaze/metrics.py, docs/operations.md) --------------------
# Every worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR and /metrics merges them,
# so a scrape answered by any worker reports the whole instance. The variable must be set before
# a worker imports prometheus_client: here, in the master, before the first fork (no preload).
# Without it a private temporary directory is made and removed on exit.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
_metrics_dir_is_ours = not _metrics_dir
if _metrics_dir_is_ours:
    _metrics_dir = tempfile.mkdtemp(prefix="huntaze-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    """Before the first fork: wipe the metrics samples of a previous run (the client's
    documentation requires it) and size the workers' database pool."""
    _size_database_pool(server)
    os.makedirs(_metrics_dir, exist_ok=True)
    for entry in os.scandir(_metrics_dir):
        if entry.is_file() and entry.name.endswith(".db"):
            os.remove(entry.path)


def child_exit(server, worker):
    """A dead worker's live gauges (open connections) stop counting; its counters stay."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server):
    if _metrics_dir_is_ours:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
