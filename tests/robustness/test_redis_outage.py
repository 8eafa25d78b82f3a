"""Two instances of the Procfile's server sharing a real Redis (``REDIS_URL``), then Redis hung
(the process stopped with SIGSTOP: connections accepted, nothing answered), stopped, and
started again (huntaze/redis_cache.py; docs/robustness.md, Events).

Sign-in with the right password answered 500 while Redis was hung or down. Now: never a 500,
the limits hold across both instances the whole time (in Redis, then in the database), one
WARNING line and ``huntaze_cache_degraded`` say so, and both instances are back on Redis by
themselves once it answers again.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
from django.contrib.auth.hashers import make_password

from tests import factories
from tests.observability.conftest import TOKEN
from tests.observability.servers import current_database_url, http, sample_value
from tests.robustness.conftest import report
from tests.servers import Gunicorn, RedisServer, production_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed"),
]

PASSWORD = "Correct-Horse-42"


def _creator(email: str) -> None:
    """A creator whose password the production hashers verify (Argon2)."""
    user = factories.make_user(email=email)
    user.password = make_password(PASSWORD, hasher="argon2")
    user.save(update_fields=["password"])


SIGNIN_SECONDS: dict[str, list[float]] = {}  # each phase's sign-in times (report)


def _signin(server: Gunicorn, email: str, phase: str) -> int:
    started = time.monotonic()
    status, _headers, _body = http(
        "POST",
        server.base + "/api/auth/signin",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"email": email, "password": PASSWORD}).encode(),
    )
    SIGNIN_SECONDS.setdefault(phase, []).append(time.monotonic() - started)
    return status


def _invite_check(server: Gunicorn, client_ip: str) -> int:
    """A rate-limited request that costs no password hash (sign-in hashes with Argon2)."""
    status, _headers, _body = http(
        "POST",
        server.base + "/api/invites/check",
        headers={"Content-Type": "application/json", "X-Forwarded-For": client_ip},
        body=json.dumps({"email": "nobody@example.test", "code": "0123456789ABCDEF"}).encode(),
    )
    return status


def _degraded(server: Gunicorn) -> float | None:
    status, _headers, body = http(
        "GET", server.base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    return sample_value(body.decode(), "huntaze_cache_degraded")


def _limit_shared(a: Gunicorn, b: Gunicorn, client_ip: str) -> None:
    """The invite check allows 3 a minute per client: two on A and one on B, then both refuse."""
    _avoid_window_edge()
    statuses = [_invite_check(server, client_ip) for server in (a, b, a, b, a)]
    assert statuses == [200, 200, 200, 429, 429], statuses


def _rate_limit_keys(redis: RedisServer) -> list[bytes]:
    return list(redis.client().scan_iter(match="*rl:invite_check_ip:*"))


def test_two_instances_share_the_limits_through_redis_hung_stopped_and_back(tmp_path):
    redis = RedisServer().start()
    env = production_env(
        current_database_url(),
        REDIS_URL=redis.url(),
        METRICS_TOKEN=TOKEN,
        TRUSTED_PROXY_COUNT="1",
        RATE_INVITE_CHECK_IP="3/min",
    )
    a = Gunicorn(env, workers=1, log=tmp_path / "a.log")
    b = Gunicorn(env, workers=1, log=tmp_path / "b.log")
    try:
        _creator("sam@example.test")

        # Redis up: the two instances count in Redis, together.
        _limit_shared(a, b, "203.0.113.1")
        assert _rate_limit_keys(redis)
        assert _degraded(a) == 0

        # Redis hung: sign-in answers, the limits hold (now on PostgreSQL, still shared).
        redis.freeze()
        assert [_signin(a, "sam@example.test", "hung"), _signin(b, "sam@example.test", "hung")] == [
            200,
            200,
        ]
        _limit_shared(a, b, "203.0.113.2")
        assert _degraded(a) == 1 and _degraded(b) == 1

        # Redis down.
        redis.stop()
        assert [_signin(a, "sam@example.test", "down"), _signin(b, "sam@example.test", "down")] == [
            200,
            200,
        ]
        _limit_shared(a, b, "203.0.113.3")

        # Redis back (empty, as after a restart): within a few seconds both instances count in
        # it again, without a restart of theirs.
        redis.start()
        back = time.monotonic()
        deadline = time.monotonic() + 30
        ip = 10
        while time.monotonic() < deadline and (_degraded(a) or _degraded(b)):
            ip += 1
            assert _invite_check(a, f"198.51.100.{ip}") == 200
            assert _invite_check(b, f"198.51.100.{ip}") == 200
            time.sleep(0.5)
        assert _degraded(a) == 0 and _degraded(b) == 0
        report(
            "redis hung, then down",
            signin_hung_slowest_s=max(SIGNIN_SECONDS["hung"]),
            signin_down_slowest_s=max(SIGNIN_SECONDS["down"]),
            back_on_redis_after_s=time.monotonic() - back,
        )
        _limit_shared(a, b, "203.0.113.4")
        assert _rate_limit_keys(redis)

        for server in (a, b):
            log = server.log_text()
            assert log.count("the cache falls back to the database") == 1, log[-2000:]
            assert log.count("redis is back") == 1
            assert "Traceback" not in log and '"status": 500' not in log
            assert server.proc.poll() is None
    finally:
        a.stop()
        b.stop()
        redis.destroy()


def _avoid_window_edge(window: int = 60) -> None:
    """The limits are fixed one-minute windows: never start a burst in the last seconds of one."""
    left = window - time.time() % window
    if left < 5:
        time.sleep(left + 0.05)
