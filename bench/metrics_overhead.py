"""What the request metrics cost per request, in-process (docs/operations.md).

    python -m bench.metrics_overhead            # both modes, each in its own process

Measures, in one process, (1) ``huntaze.metrics.request_observe`` alone, the call
``RequestLogMiddleware`` makes once per request, and (2) a whole request through Django's
handler (``GET /api/auth/me`` without credentials: the full middleware stack and DRF, no SQL)
with the hook and with it replaced by a no-op, alternating rounds so both see the same load.
Run once with the process's own registry (runserver, tests) and once in prometheus-client's
multiprocess mode (gunicorn: every sample written to a memory-mapped file). Ratios within one
run are what to compare; absolute times depend on the machine and its load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time


def _measure() -> None:
    import django

    # The test settings: no production secrets needed, the embedded server without DATABASE_URL.
    os.environ["DJANGO_SETTINGS_MODULE"] = "huntaze.settings.test"
    django.setup()
    import logging

    logging.disable(logging.CRITICAL)  # one JSON line per request would dominate the timing
    from django.test import Client
    from django.urls import resolve

    from huntaze import metrics

    class FakeRequest:
        method = "GET"
        resolver_match = resolve("/api/content/00000000-0000-4000-8000-000000000001")

    request, n = FakeRequest(), 200_000
    metrics.request_observe(request, 200, 0.01)
    started = time.perf_counter()
    for _ in range(n):
        metrics.request_observe(request, 200, 0.01)
    hook_us = (time.perf_counter() - started) / n * 1e6

    def execute(sql, params, many, context):
        return None

    started = time.perf_counter()
    for _ in range(n):
        metrics._timed_execute(execute, "SELECT 1", None, False, None)
    sql_us = (time.perf_counter() - started) / n * 1e6

    client, rounds, per_round = Client(), 20, 500
    real = metrics.request_observe
    timings = {"with": 0.0, "without": 0.0}
    for _ in range(50):
        client.get("/api/auth/me")
    for _ in range(rounds):
        for label in ("with", "without"):
            metrics.request_observe = real if label == "with" else (lambda *a: None)
            started = time.perf_counter()
            for _ in range(per_round):
                client.get("/api/auth/me")
            timings[label] += time.perf_counter() - started
    metrics.request_observe = real
    with_us = timings["with"] / (rounds * per_round) * 1e6
    without_us = timings["without"] / (rounds * per_round) * 1e6
    mode = "multiprocess (mmap files)" if metrics.MULTIPROCESS else "single process"
    print(f"{mode}:")
    print(f"  request_observe alone:          {hook_us:6.1f} us per call")
    print(f"  SQL timer, per statement:       {sql_us:6.1f} us per call")
    print(f"  GET /api/auth/me with hook:     {with_us:6.1f} us per request")
    print(f"  GET /api/auth/me without hook:  {without_us:6.1f} us per request")
    print(
        f"  difference:                     {with_us - without_us:6.1f} us "
        f"({(with_us / without_us - 1) * 100:+.1f} %)"
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="huntaze-metrics-bench-") as directory:
        for extra in ({}, {"PROMETHEUS_MULTIPROC_DIR": directory}):
            env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
            env.update(extra)
            code = "from bench.metrics_overhead import _measure; _measure()"
            subprocess.run([sys.executable, "-c", code], env=env, check=True)  # noqa: S603
    return 0


if __name__ == "__main__":
    sys.exit(main())
