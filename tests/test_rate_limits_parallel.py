"""Every rate limit holds under parallel requests, on the database cache (the default cache)
and on Redis (``REDIS_URL``).

The invite check and AI generation used DRF's ScopedRateThrottle / UserRateThrottle, whose
history is read and written back with get-then-set: parallel requests each read the same
history and all passed. They now use huntaze/throttles.py's atomic counters, like sign-in.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from huntaze.cache import DatabaseCache
from huntaze.redis_cache import RedisCache
from tests import factories
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("on_each_cache")]


def _rate(settings, scope: str, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _avoid_window_edge(window: int = 60) -> None:
    """Buckets are fixed windows: never start a burst in the last seconds of one."""
    left = window - time.time() % window
    if left < 5:
        time.sleep(left + 0.05)


def test_the_limits_count_in_the_cache_under_test(on_each_cache):
    expected = {"database": DatabaseCache, "redis": RedisCache}[on_each_cache]
    assert type(caches["default"]) is expected


def test_parallel_invite_checks_from_one_ip_pass_the_limit_exactly(settings):
    _rate(settings, "invite_check_ip", "5/min")
    _avoid_window_edge()
    clients = [APIClient() for _ in range(16)]
    body = {"email": "nobody@example.test", "code": "0123456789ABCDEF"}

    def check(client):
        return client.post("/api/invites/check", body, format="json").status_code

    statuses = run_concurrently(check, args=[(c,) for c in clients])
    assert sorted(statuses) == [200] * 5 + [429] * 11, statuses


def test_parallel_generations_of_one_user_pass_the_limit_exactly(settings, ai_standin):
    _rate(settings, "ai_generate_user", "4/min")
    settings.AI_MONTHLY_QUOTA_FREE = -1
    user = factories.make_user()
    clients = [factories.auth_client(user) for _ in range(12)]
    _avoid_window_edge()

    def generate(client):
        response = client.post(
            "/api/content/generate", {"type": "CAPTION", "prompt": "un café"}, format="json"
        )
        return response.status_code

    statuses = run_concurrently(generate, args=[(c,) for c in clients])
    assert sorted(statuses) == [201] * 4 + [429] * 8, statuses
    assert ai_standin.count == 4
