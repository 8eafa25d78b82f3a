"""The benchmark harness end to end, in a few seconds (not a timed test: no figure is asserted).

Runs ``python -m bench`` with 5 clients for 3 s against what every branch serves (health,
/api/auth/me and the floor), on the PostgreSQL server of DATABASE_URL (or the embedded one), and
checks the JSON report's shape, that those endpoints answered without errors, and that the
harness removed its databases and its server.
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
    assert "OVERALL mix" in proc.stdout and "mix / floor throughput" in proc.stdout

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
    assert set(run["mix"]["overall"]) >= ENDPOINT_FIELDS
    assert run["mix"]["overall"]["rps"] > 0
    assert set(run["signin"]) >= ENDPOINT_FIELDS
    assert run["signin"]["requests"] == 5

    floor = run["floor"]
    assert floor["errors"] == 0, floor["error_statuses"]
    assert floor["rps"] > 0 and floor["p95_ms"] > 0
    assert run["ratio_mix_to_floor"] > 0

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
    assert set(run["targets"]) == {
        "zero_errors",
        "every_endpoint_p95_under_500ms",
        "overall_p95_under_100ms",
        "mix_at_least_60pct_of_floor",
        "at_most_10_pg_connections",
    }
    assert report["summary"]["gevent"]["floor_rps"] == floor["rps"]

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
