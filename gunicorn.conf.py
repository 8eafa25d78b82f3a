"""gunicorn settings for the ``web:`` line of the Procfile.

Sync workers, one per core (measured best on the 2-core machine kind: docs/performance-notes.md).
Each worker holds one persistent PostgreSQL connection (CONN_MAX_AGE), so an instance holds
``workers`` connections; WEB_CONCURRENCY is capped at 10 to keep within the 10-connection budget.
The worker timeout sits above the 45 s bound of an AI generation (docs/api.md, Content).
"""

import multiprocessing
import os
import shutil
import tempfile

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = min(int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count())), 10)
worker_class = "sync"
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 0
accesslog = None  # one JSON line per request comes from huntaze.middleware instead
errorlog = "-"
loglevel = "warning"
# X-Forwarded-* from the load balancer; which client IP to trust is decided by the app
# (TRUSTED_PROXY_COUNT), not here.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
limit_request_line = 8190

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
    """Wipe the samples of a previous run (the client's documentation requires it)."""
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
