"""The real server: /metrics aggregates every gunicorn worker (multiprocess mode, directory
wiped at start-up, dead workers marked), and an unhandled error reaches Sentry through the
WSGI path with the request reduced and scrubbed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.observability.conftest import TOKEN
from tests.observability.sentry_standin import SentryStandIn
from tests.observability.servers import current_database_url, http, sample_value
from tests.observability.urls_boom import LEAKS
from tests.servers import Gunicorn, production_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ME = {"method": "GET", "route": "/api/auth/me", "status": "4xx"}


def _stale_samples(directory: Path) -> None:
    """What a previous run would have left: 1000 requests counted by a dead process."""
    code = (
        "from prometheus_client import Counter;"
        "Counter('huntaze_http_requests', 'x', ['method', 'route', 'status'])"
        ".labels('GET', '/api/auth/me', '4xx').inc(1000)"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert list(directory.glob("counter_*.db"))


def _scrape(server: Gunicorn) -> str:
    status, _headers, body = http(
        "GET", server.base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200, body[:300]
    return body.decode()


def _live_gauge_pids(directory: Path) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob("gauge_livesum_*.db")}


def test_metrics_aggregate_every_worker_and_survive_a_dead_one(tmp_path):
    directory = tmp_path / "prom"
    directory.mkdir()
    _stale_samples(directory)
    env = production_env(
        current_database_url(),
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        RATE_SIGNIN_IP="1000/min",
        RATE_SIGNIN_EMAIL_FAILURES="1000/min",
    )
    server = Gunicorn(env, workers=2)
    try:
        # Without the token the endpoint does not exist.
        status, _h, body = http("GET", server.base + "/metrics")
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found"

        # 40 quick requests, then 8 sign-ins at once (each hashes a password with Argon2, so
        # one worker cannot take them all): both sync workers serve some.
        with ThreadPoolExecutor(8) as pool:
            statuses = list(
                pool.map(lambda _: http("GET", server.base + "/api/auth/me")[0], range(40))
            )
            signin = json.dumps({"email": "nobody@example.test", "password": "x" * 12}).encode()
            failures = list(
                pool.map(
                    lambda _: http(
                        "POST",
                        server.base + "/api/auth/signin",
                        headers={"Content-Type": "application/json"},
                        body=signin,
                    )[0],
                    range(8),
                )
            )
        assert statuses == [401] * 40 and failures == [401] * 8
        # Whichever worker answers the scrape, it reports the whole instance (the stale 1000
        # of the previous run were wiped at start-up).
        values = {
            sample_value(_scrape(server), "huntaze_http_requests_total", **ME) for _ in range(6)
        }
        assert values == {40.0}
        assert sample_value(_scrape(server), "huntaze_signins_total", outcome="failure") == 8
        workers = {int(p.stem.split("_")[1]) for p in directory.glob("counter_*.db")}
        assert len(workers) == 2, workers

        text = _scrape(server)
        assert sample_value(text, "huntaze_database_up") == 1.0
        assert sample_value(text, "huntaze_db_connections_open") == 2.0
        pids = _live_gauge_pids(directory)
        assert len(pids) == 2

        # A worker dies: gunicorn replaces it and child_exit marks it dead.
        victim = sorted(pids)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while victim in _live_gauge_pids(directory) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert victim not in _live_gauge_pids(directory)
        text = _scrape(server)
        assert sample_value(text, "huntaze_http_requests_total", **ME) == 40.0  # counters stay
        assert sample_value(text, "huntaze_db_connections_open") <= 2.0
    finally:
        server.stop()


def test_an_unhandled_error_reaches_sentry_through_the_real_server():
    standin = SentryStandIn()
    env = production_env(
        current_database_url(),
        SENTRY_DSN=standin.dsn,
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="huntaze@9.9.9",
        DJANGO_SETTINGS_MODULE="tests.observability.settings_boom",
    )
    server = Gunicorn(env, workers=1)
    try:
        status, headers, body = http(
            "POST",
            server.base + "/api/boom?access_token=qu3ry-t0ken-AbCdEf123456",
            headers={
                "Authorization": f"Bearer {LEAKS['bearer']}",
                "Content-Type": "application/json",
                "Cookie": "sessionid=s3ss10n-c00kie-value-9f8e7d6c5b4a",
                "X-Request-Id": "req-gunicorn-7",
                "User-Agent": "probe/1.0",
            },
            body=json.dumps(
                {"password": LEAKS["password"], "refresh": "r3fr3sh-opaque-1"}
            ).encode(),
        )
        assert status == 500 and json.loads(body)["error"]["code"] == "internal_error"
        assert headers["X-Request-Id"] == "req-gunicorn-7"
        events = standin.events(timeout=15)
        assert len(events) == 1
        event = events[0]
        assert event["tags"]["request_id"] == "req-gunicorn-7"
        assert (event["environment"], event["release"]) == ("staging", "huntaze@9.9.9")
        assert event["request"]["method"] == "POST"
        assert event["request"]["url"] == server.base + "/api/boom"
        assert set(event["request"]["headers"]) <= {
            "Content-Type",
            "Host",
            "User-Agent",
            "Content-Length",
        }
        raw = standin.raw().decode("utf-8", "replace")
        for secret in (
            *LEAKS.values(),
            "qu3ry-t0ken",
            "s3ss10n-c00kie",
            "r3fr3sh-opaque",
            env["DJANGO_SECRET_KEY"],
        ):
            assert secret not in raw, secret
    finally:
        server.stop()
        standin.stop()
