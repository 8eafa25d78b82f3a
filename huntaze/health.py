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
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from huntaze import metrics
from huntaze.db import database_ping
from huntaze.schema import schema_example

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


# --- the probes in the API schema -------------------------------------------------------------
# HealthCheckMiddleware answers both paths before URL routing; these views put them in the
# schema (docs/api.md, Health) and answer the same if the middleware ever stops doing so.


class HealthDatabaseOutput(serializers.Serializer):
    healthy = serializers.BooleanField()
    latency_ms = serializers.FloatField(required=False, help_text="Time of `SELECT 1`.")
    error = serializers.CharField(required=False)


@schema_example({"status": "ok", "database": {"healthy": True, "latency_ms": 0.8}})
class HealthOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    database = HealthDatabaseOutput()


@schema_example({"status": "ok"})
class LiveOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


class _ProbeView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class ReadinessView(_ProbeView):
    @extend_schema(
        tags=["health"],
        auth=[],
        responses={
            200: HealthOutput,
            503: OpenApiResponse(
                HealthOutput,
                description="The database cannot be reached",
                examples=[
                    OpenApiExample(
                        "unavailable",
                        value={
                            "status": "unavailable",
                            "database": {"healthy": False, "error": "database unavailable"},
                        },
                        status_codes=["503"],
                    )
                ],
            ),
        },
        summary="Readiness probe",
        description=(
            "For load balancers and orchestrators: 200 when the database answers `SELECT 1` "
            "(with its latency), 503 when it does not. Needs no authentication, any `Host`, "
            "plain HTTP too (never redirected)."
        ),
    )
    def get(self, request):
        return ready(request._request)


class LivenessView(_ProbeView):
    @extend_schema(
        tags=["health"],
        auth=[],
        responses={200: LiveOutput},
        summary="Liveness probe",
        description=(
            "200 as long as the process answers requests; never touches the database, so a "
            "database outage does not get the process restarted. No authentication."
        ),
    )
    def get(self, request):
        return live(request._request)
