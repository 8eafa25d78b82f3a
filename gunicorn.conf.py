"""gunicorn settings for the ``web:`` line of the Procfile.

Sync workers, one per core (measured best on the 2-core machine kind: docs/performance-notes.md).
Each worker holds one persistent PostgreSQL connection (CONN_MAX_AGE), so an instance holds
``workers`` connections; WEB_CONCURRENCY is capped at 10 to keep within the 10-connection budget.
The worker timeout sits above the 45 s bound of an AI generation (docs/api.md, Content).
"""

import multiprocessing
import os

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
