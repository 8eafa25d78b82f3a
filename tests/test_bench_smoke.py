"""The benchmark harness end to end, in a few seconds (not a timed test: no figure is asserted).

Runs ``python -m bench`` with 5 clients for 3 s against what every branch serves (health,
/api/auth/me, both floors, the profile alone), then the think-time scenario for 2 s, on the
PostgreSQL server of DATABASE_URL (or the embedded one), and checks the JSON report's shape and
ratios, that those endpoints answered without errors, that the think-time clients really paused,
and that the harness removed its databases and its server. The plain floor's middleware is
checked directly too (answered first, before the product's middleware).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ENDPOINT_FIELDS = {"requests", "rps", "p50_ms", "p95_ms", "p99_ms", "errors", "error_statuses"}
RATIO_FIELDS = {"x_plain", "x_floor"}


def test_plain_floor_is_answered_before_the_product_middleware():
    """bench.settings = the product's settings with the plain floor's middleware put first."""
    import bench.settings
    from huntaze import settings as product

    first, *rest = bench.settings.MIDDLEWARE
    assert first == "bench.middleware.PlainMiddleware"
    assert rest == product.MIDDLEWARE
    assert bench.settings.ROOT_URLCONF == "bench.urls"


def test_plain_middleware_answers_only_get_bench_plain(rf):
    from bench.middleware import PlainMiddleware

    passed = []

    def product(request):
        passed.append(request.path_info)
        return "product"

    middleware = PlainMiddleware(product)
    response = middleware(rf.get("/bench/plain"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok", "floor": "plain"}
    assert passed == []
    assert middleware(rf.post("/bench/plain")) == "product"
    assert middleware(rf.get("/bench/plain/x")) == "product"
    assert middleware(rf.get("/api/health")) == "product"
    assert passed == ["/bench/plain", "/bench/plain/x", "/api/health"]


@pytest.mark.slow
def test_bench_smoke(tmp_path):
    output = tmp_path / "bench-results.json"
    database = f"huntaze_bench_smoke_{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        BENCH_CLIENTS="5",
        BENCH_DURATION="3",
        BENCH_WARMUP="1",
        BENCH_FLOOR_DURATION="2",
        BENCH_FLOOR_WARMUP="1",
        BENCH_PLAIN_DURATION="2",
        BENCH_PLAIN_WARMUP="1",
        BENCH_ALONE="profile",
        BENCH_ALONE_DURATION="2",
        BENCH_ALONE_WARMUP="0.5",
        BENCH_THINK_SECONDS="0.2",
        BENCH_THINK_DURATION="2",
        BENCH_THINK_WARMUP="0.5",
        BENCH_CREATORS="5",
        BENCH_ASSETS="20",
        BENCH_INVITES="5",
        BENCH_MIX="foundation",
        BENCH_SERVERS="gevent",
        BENCH_SLOW_DURATION="2",
        BENCH_SLOW_WARMUP="0.5",
        BENCH_SLOW_CLIENTS="2",
        BENCH_SLOW_GENERATORS="2",
        BENCH_SLOW_MIX="foundation",
        BENCH_MODEL_SECONDS="0.5",
        BENCH_MODEL_PIECES="5",
        BENCH_DATABASE=database,
        BENCH_OUTPUT=str(output),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bench"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for text in ("OVERALL mix", "FLOOR GET /bench/floor", "PLAIN GET /bench/plain", "ratios: mix"):
        assert text in proc.stdout, text
    assert "think time, all requests" in proc.stdout and "targets (cost)" in proc.stdout

    report = json.loads(output.read_text())
    assert report["config"]["clients"] == 5
    assert [r["server"] for r in report["runs"]] == ["gevent"]
    run = report["runs"][0]
    # The Procfile's web: line, as is.
    assert run["command"] == [
        "-m",
        "gunicorn",
        "huntaze.wsgi:application",
        "--config",
        "gunicorn.conf.py",
    ]

    endpoints = run["mix"]["endpoints"]
    assert set(endpoints) == {"me", "health"}
    for name, e in endpoints.items():
        assert set(e) >= ENDPOINT_FIELDS, name
        assert e["requests"] > 0, name
        assert e["errors"] == 0, (name, e["error_statuses"])  # bearer auth + HTTPS behind proxy
        assert set(e) >= RATIO_FIELDS, name  # its share of the mix, against both floors
    assert set(run["mix"]["overall"]) >= ENDPOINT_FIELDS | RATIO_FIELDS
    assert run["mix"]["overall"]["rps"] > 0
    assert set(run["signin"]) >= ENDPOINT_FIELDS
    assert run["signin"]["requests"] == 5

    floor = run["floor"]
    assert floor["errors"] == 0, floor["error_statuses"]
    assert floor["rps"] > 0 and floor["p95_ms"] > 0
    assert run["ratio_mix_to_floor"] > 0

    # The plain floor: Django answering before the middleware, on the same server.
    plain = run["plain"]
    assert set(plain) >= ENDPOINT_FIELDS | RATIO_FIELDS
    assert plain["path"] == "GET /bench/plain"
    assert plain["errors"] == 0, plain["error_statuses"]
    assert plain["rps"] > 0 and plain["x_plain"] == 1.0
    assert floor["x_floor"] == 1.0 and floor["x_plain"] == run["ratio_floor_to_plain"] > 0
    assert run["ratio_mix_to_plain"] == run["mix"]["overall"]["x_plain"] > 0
    # A row's ratio is its req/s over the floor's: the mix's rows add up to the mix's ratio.
    shares = sum(e["x_plain"] for e in endpoints.values())
    assert abs(shares - run["ratio_mix_to_plain"]) < 0.01

    # The profile alone (the per-endpoint figure of the targets).
    assert set(run["alone"]) == {"profile"}
    profile = run["alone"]["profile"]
    assert set(profile) >= ENDPOINT_FIELDS | RATIO_FIELDS
    assert profile["requests"] > 0 and profile["errors"] == 0, profile["error_statuses"]
    assert run["ratio_profile_alone_to_plain"] == profile["x_plain"] > 0

    # Think time: 5 clients pausing 0.1-0.3 s after each answer, for 2 s. Back to back they
    # would do hundreds of requests a second; pausing, at most 5 / 0.1 = 50.
    think = run["think_time"]
    assert think["clients"] == 5 and think["think_seconds"] == 0.2
    overall = think["overall"]
    assert set(overall) >= ENDPOINT_FIELDS | {"max_ms"}
    assert overall["errors"] == 0, overall["error_statuses"]
    assert overall["requests"] >= 5 and overall["rps"] <= 50, overall
    assert 0 < overall["p50_ms"] <= overall["p95_ms"] <= overall["p99_ms"] <= overall["max_ms"]
    assert set(think["endpoints"]) == {"me", "health"}

    # The slow-model scenario: the mix alone and while creators generate (streamed and JSON).
    slow = run["slow_model"]
    assert "-- slow model" in proc.stdout
    for phase in ("alone", "generating"):
        assert slow[phase]["requests"] > 0 and slow[phase]["errors"] == 0, slow[phase]
        assert "over_1s" in slow[phase]
    generations = slow["generations"]
    assert generations["completed"] > 0 and generations["errors"] == 0, generations
    assert generations["streamed"] > 0 and generations["first_delta_max_ms"] > 0
    assert set(slow["pg_connections"]) == {"alone", "generating"}
    assert set(slow["targets"]) >= {"mix_p95_under_100ms_while_generating", "zero_errors"}

    pg = run["pg_connections"]
    assert 1 <= pg["peak"] <= 10 and pg["samples"] > 10
    assert set(pg) >= {"peak_mix", "peak_floor", "peak_plain", "peak_alone", "peak_think"}
    assert pg["peak_plain"] >= 0 and pg["peak_think"] >= 1
    targets = run["targets"]
    assert set(targets) == {
        "mix_at_least_15pct_of_plain",
        "profile_alone_at_least_12pct_of_plain",
        "think_time_p95_under_10ms",
        "zero_errors",
        "at_most_10_pg_connections",
        "every_endpoint_p95_under_500ms",
        "overall_p95_under_100ms",
        "mix_at_least_60pct_of_floor",
    }
    assert targets["zero_errors"] is True
    assert all(isinstance(v, bool) for v in targets.values()), targets  # every phase ran
    summary = report["summary"]["gevent"]
    assert summary["floor_rps"] == floor["rps"] and summary["plain_rps"] == plain["rps"]
    assert summary["ratio_mix_to_plain"] == run["ratio_mix_to_plain"]
    assert summary["think_time_ms"]["p95"] == overall["p95_ms"]
    assert summary["errors"] == 0

    # Everything it started is gone: the server, and its databases.
    with pytest.raises(ProcessLookupError):
        os.kill(run["server_pid"], 0)
    import psycopg

    from bench.run import server_url, with_database

    url = os.environ.get("DATABASE_URL") or server_url()[0]
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [database + "%"]
        ).fetchall()
    assert left == []
