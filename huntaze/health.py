"""Health probes (docs/api.md, Health).

``/api/health`` (readiness) runs ``SELECT 1`` and reports its latency; ``/api/health/live``
(liveness) never touches the database. Both are answered by ``HealthCheckMiddleware`` before host
validation and the HTTPS redirect, so a load balancer's plain-HTTP probe with its own ``Host``
header gets an answer, never a redirect or a 400.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connection
from django.http import JsonResponse

logger = logging.getLogger("huntaze.health")


def live(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def ready(request) -> JsonResponse:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # Drop the broken connection so the next request opens a fresh one (recovery without a
        # restart). The message is the exception class only: no host, user or password.
        connection.close()
        logger.warning("health check: database unavailable (%s)", type(exc).__name__)
        return JsonResponse(
            {
                "status": "unavailable",
                "database": {"healthy": False, "error": "database unavailable"},
            },
            status=503,
        )
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse({"status": "ok", "database": {"healthy": True, "latency_ms": latency_ms}})
