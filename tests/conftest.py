from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db):
    return factories.make_user


@pytest.fixture
def make_admin(db):
    return factories.make_admin


@pytest.fixture
def make_invite(db):
    return factories.make_invite


@pytest.fixture
def make_asset(db):
    return factories.make_asset


@pytest.fixture
def auth_client(db):
    return factories.auth_client


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def client_for_user(user):
    return factories.auth_client(user)


def _uses_transactional_db(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate-limit buckets live in the shared cache (the database cache here).

    In ordinary ``db`` tests every cache write is rolled back with the test's transaction;
    tests that commit (``transactional_db``) get an empty cache before and after.
    """
    if not _uses_transactional_db(request):
        yield
        return
    from django.core.cache import cache

    request.getfixturevalue("transactional_db")
    cache.clear()
    _clear_job_queue()
    yield
    cache.clear()
    _clear_job_queue()


def _clear_job_queue() -> None:
    """The job queue's tables are procrastinate's (unmanaged models): Django's flush between
    transactional tests leaves them, so one test's jobs would run in the next."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
            "procrastinate_workers"
        )


def assert_error(response, status: int, code: str) -> dict:
    """Assert the API's error shape, status and code; return the error object."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def make_api_key(db):
    return factories.make_api_key


# --- local stand-ins for the external services (real clients, loopback servers) -----------


@pytest.fixture(scope="session")
def _stripe_server():
    from tests.billing.stripe_standin import StripeStandin

    server = StripeStandin(api_key="sk_test_standin_key").start()
    yield server
    server.stop()


@pytest.fixture
def stripe_standin(_stripe_server, settings):
    """The Stripe stand-in, fresh for each test, with billing configured to use it."""
    from tests.billing import events

    _stripe_server.reset()
    settings.STRIPE_API_BASE = _stripe_server.url
    settings.STRIPE_SECRET_KEY = _stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = events.WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 2.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    for name, value in events.PRICES.items():
        setattr(settings, name, value)
    yield _stripe_server
    _stripe_server.reset()


@pytest.fixture
def ai_standin(settings, monkeypatch):
    """A running Azure OpenAI stand-in, configured as the app's endpoint, with short time bounds.

    The key and endpoint are set both in settings and in the environment, so whichever the
    secrets loader reads (``SECRETS_BACKEND=env``) finds them.
    """
    from tests.content.standin import API_KEY, DEPLOYMENT, OpenAIStandIn

    server = OpenAIStandIn().start()
    settings.AZURE_OPENAI_ENDPOINT = server.url
    settings.AZURE_OPENAI_API_KEY = API_KEY
    settings.AZURE_OPENAI_DEPLOYMENT = DEPLOYMENT
    settings.AI_REQUEST_TIMEOUT_SECONDS = 1.0
    settings.AI_RETRY_BACKOFF_SECONDS = 0.05
    settings.AI_TOTAL_DEADLINE_SECONDS = 10.0
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
    yield server
    server.stop()


@pytest.fixture
def run_jobs(db):
    """Run the jobs queued so far (emails …) in this test's transaction (tests/queue.py)."""
    from tests.queue import run_jobs

    return run_jobs


# --- Redis (REDIS_URL) ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url():
    """A Redis for the tests that put the cache on it: ``TEST_REDIS_URL`` (CI's: .ci/run starts
    one), else a private ``redis-server`` for the session."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    if shutil.which("redis-server") is None:
        pytest.skip("no Redis: set TEST_REDIS_URL or install redis-server (CI has both)")
    from tests.servers import RedisServer

    server = RedisServer().start()
    yield server.url()
    server.destroy()


@pytest.fixture
def redis_cache(redis_url, settings, monkeypatch):
    """The default cache on Redis, as the production settings configure it for ``REDIS_URL``,
    under a key prefix of this test alone (a shared Redis may serve other runs), removed after.
    Yields ``client`` (redis-py, on that Redis), ``prefix`` and ``url``."""
    import redis

    from huntaze import redis_cache as backend
    from huntaze.settings.base import cache_settings

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    caches = cache_settings(redis_url, timeout=0.5)
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    monkeypatch.setattr(backend, "_circuit", backend._Circuit())
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    yield SimpleNamespace(client=client, prefix=prefix, url=redis_url)
    with contextlib.suppress(redis.RedisError):  # a test may have stopped its Redis
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    client.close()


@pytest.fixture(params=["database", "redis"])
def on_each_cache(request):
    """Run the test with the cache on the database, then on Redis (``REDIS_URL``)."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param
