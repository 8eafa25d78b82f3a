"""huntaze/redis_cache.py: the cache on a real Redis (a private ``redis-server`` this module may
stop and hang), and what happens when Redis fails: the database cache serves, sign-in answers
and its limits hold, one log line and the metrics say so, and the cache goes back to Redis by
itself once Redis answers again."""

from __future__ import annotations

import logging
import shutil
import time

import pytest
from django.core.cache import cache, caches
from prometheus_client import REGISTRY

from huntaze import redis_cache as backend
from huntaze.redis_cache import RedisCache
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD
from tests.servers import RedisServer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed"),
]


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer().start()
    yield server
    server.destroy()


@pytest.fixture
def redis_url(redis_server):
    """This module's own Redis for ``redis_cache``."""
    return redis_server.url()


@pytest.fixture
def outage(redis_cache, redis_server):
    """The Redis under the cache, for a test to stop or hang; running again afterwards."""
    yield redis_server
    redis_server.thaw()
    if redis_server.proc is None:
        redis_server.start()


def _errors(kind: str) -> float:
    return REGISTRY.get_sample_value("huntaze_redis_errors_total", {"kind": kind}) or 0.0


def _degraded() -> float:
    return REGISTRY.get_sample_value("huntaze_cache_degraded", {}) or 0.0


def _in_database(key: str) -> bool:
    return caches["database"].get(key) is not None


def _in_redis(redis_cache, key: str) -> bool:
    return redis_cache.client.exists(f"{redis_cache.prefix}:1:{key}") == 1


def test_the_cache_lives_in_redis(redis_cache):
    assert type(caches["default"]) is RedisCache
    assert cache.add("a", 1, 60) is True and cache.add("a", 2, 60) is False
    assert cache.incr("a") == 2
    cache.set_many({"b": "x", "c": [1, 2]}, 60)
    assert cache.get_many(["a", "b", "c"]) == {"a": 2, "b": "x", "c": [1, 2]}
    assert cache.has_key("b") and cache.touch("b", 120)
    cache.delete("c")
    assert cache.get("c", "gone") == "gone"
    assert _in_redis(redis_cache, "a") and _in_redis(redis_cache, "b")
    assert not _in_database("a") and not _in_database("b")
    assert _degraded() == 0


def test_redis_stopped_the_database_serves_with_one_warning(outage, caplog):
    errors_before = _errors("connection")
    outage.stop()
    with caplog.at_level(logging.WARNING, logger="huntaze.cache"):
        assert cache.add("k", 1, 60) is True
        assert cache.incr("k") == 2
        assert cache.get("k") == 2
        for _ in range(5):
            cache.get("other")
    assert _in_database("k")
    # One failed call opened the circuit: the next calls went straight to the database.
    assert _errors("connection") == errors_before + 1
    assert _degraded() == 1
    warnings = [r for r in caplog.records if r.name == "huntaze.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "falls back to the database" in warnings[0].getMessage()


def test_a_hung_redis_costs_one_timeout_then_the_database_serves(redis_cache, outage):
    assert cache.add("k", "on redis", 60) is True
    errors_before = _errors("timeout")
    outage.freeze()
    assert cache.get("k") is None  # not in the database cache: Redis holds it
    assert cache.add("k", "on the database", 60) is True
    assert cache.get("k") == "on the database"
    assert _errors("timeout") == errors_before + 1
    outage.thaw()
    assert redis_cache.client.get(f"{redis_cache.prefix}:1:k") is not None


def test_the_cache_goes_back_to_redis_without_a_restart(redis_cache, outage, monkeypatch, caplog):
    monkeypatch.setattr(backend, "RETRY_SECONDS", 0.2)
    outage.stop()
    cache.set("down", 1, 60)
    assert _in_database("down") and _degraded() == 1
    cache.set("still-down", 1, 60)  # within RETRY_SECONDS: not even tried
    outage.start()  # same port, empty
    time.sleep(0.3)
    with caplog.at_level(logging.WARNING, logger="huntaze.cache"):
        cache.set("up", 1, 60)
    assert _in_redis(redis_cache, "up") and not _in_database("up")
    assert _degraded() == 0
    assert any("redis is back" in r.getMessage() for r in caplog.records)


def _signin(api_client, password: str, ip: str):
    return api_client.post(
        "/api/auth/signin",
        {"email": "sam@example.test", "password": password},
        format="json",
        REMOTE_ADDR=ip,
    )


@pytest.mark.parametrize("kind", ["stopped", "hung"])
def test_signin_answers_while_redis_fails_and_its_limits_hold(
    redis_cache, outage, make_user, api_client, kind
):
    """Sign-in answered 500 with Redis hung or stopped: now the database counts its limits."""
    make_user(email="sam@example.test")
    assert _signin(api_client, DEFAULT_PASSWORD, "10.5.0.1").status_code == 200
    outage.stop() if kind == "stopped" else outage.freeze()
    assert _signin(api_client, DEFAULT_PASSWORD, "10.5.0.2").status_code == 200
    for i in range(5):
        assert_error(
            _signin(api_client, "wrong-password", f"10.5.1.{i}"), 401, "invalid_credentials"
        )
    assert_error(_signin(api_client, DEFAULT_PASSWORD, "10.5.2.1"), 429, "throttled")
