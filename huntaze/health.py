"""Health probes (docs/api.md, Health).

``/api/health`` (readiness) runs ``SELECT 1`` and reports its latency; ``/api/health/live``
(liveness) never touches the database. Both are answered by ``HealthCheckMiddleware`` before host
validation and the HTTPS redirect, so a load balancer's plain-HTTP probe with its own ``Host``
header gets an answer, never a redirect or a 400.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError
from django.http import JsonResponse

from huntaze import metrics
from huntaze.db import database_ping

logger = logging.getLogger("huntaze.health")


def live(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def ready(request) -> JsonResponse:
    started = time.perf_counter()
    try:
        seconds = database_ping()
    except DatabaseError as exc:
        metrics.health_check_observe(healthy=False, seconds=time.perf_counter() - started)
        # The message is the exception class only: no host, user or password.
        logger.warning("health check: database unavailable (%s)", type(exc).__name__)
        return JsonResponse(
            {
                "status": "unavailable",
                "database": {"healthy": False, "error": "database unavailable"},
            },
            status=503,
        )
    metrics.health_check_observe(healthy=True, seconds=seconds)
    latency_ms = round(seconds * 1000, 1)
    return JsonResponse({"status": "ok", "database": {"healthy": True, "latency_ms": latency_ms}})
