"""huntaze/cache.py: the database cache writes with one INSERT … ON CONFLICT, so PostgreSQL never
refuses a statement in ordinary use (its log used to fill with duplicate-key errors from the
rate limiters' ``add()``), and ``add`` keeps Django's meaning."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache, caches
from django.db import connection

from huntaze.cache import DatabaseCache
from tests import factories

pytestmark = pytest.mark.django_db


class FailedStatements:
    """Every SQL statement PostgreSQL refused on this connection (an execute wrapper)."""

    def __init__(self):
        self.failed: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        except Exception as exc:
            self.failed.append(f"{type(exc).__name__}: {sql[:120]}")
            raise


def test_the_default_cache_is_ours():
    assert isinstance(caches["default"], DatabaseCache)


def test_add_set_and_expiry_keep_djangos_meaning():
    recorder = FailedStatements()
    with connection.execute_wrapper(recorder):
        assert cache.add("k", 1, 60) is True
        assert cache.add("k", 2, 60) is False  # a live key: not replaced
        assert cache.get("k") == 1
        cache.set("k", 3, 60)
        assert cache.get("k") == 3
        assert cache.add("gone", "old", 1) is True
        time.sleep(2.1)  # expiry has a one-second resolution
        assert cache.add("gone", "new", 60) is True  # an expired key is replaced
        assert cache.get("gone") == "new"
        assert cache.touch("k", 120) is True
        assert cache.incr("k") == 4
        cache.delete("k")
        assert cache.add("k", 5, 60) is True
    assert recorder.failed == []


def test_rate_limited_requests_make_postgresql_refuse_nothing(api_client, settings):
    """Sign-in failures past the limit, invite checks and refreshes: the counters are written
    many times per bucket, and not one statement fails."""
    factories.make_user(email="someone@example.test")
    recorder = FailedStatements()
    with connection.execute_wrapper(recorder):
        statuses = [
            api_client.post(
                "/api/auth/signin",
                {"email": "someone@example.test", "password": "wrong-password"},
                format="json",
            ).status_code
            for _ in range(8)
        ]
        for _ in range(3):
            api_client.post(
                "/api/invites/check",
                {"email": "a@example.test", "code": "0123456789ABCDEF"},
                format="json",
            )
    assert 429 in statuses and 401 in statuses
    assert recorder.failed == []


def test_incr_keeps_the_expiry_of_the_key():
    """A one-hour rate-limit bucket kept its count only five minutes after its last request:
    Django's ``incr`` rewrote the row with the default timeout (300 s)."""

    def expires():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT expires FROM huntaze_cache WHERE cache_key = %s",
                [cache.make_and_validate_key("bucket")],
            )
            return cursor.fetchone()[0]

    assert cache.add("bucket", 1, 3600) is True
    before = expires()
    assert cache.incr("bucket") == 2
    assert cache.incr("bucket", 5) == 7
    assert expires() == before
    with pytest.raises(ValueError):
        cache.incr("never-set")


@pytest.mark.django_db(transaction=True)
def test_add_sweeps_expired_rows_and_never_a_live_counter(monkeypatch):
    """More live counters than Django's ``MAX_ENTRIES`` (300), whose culling would delete a third
    of them, and expired rows: an ``add()`` due to sweep deletes the expired rows only."""
    from huntaze import cache as cache_module

    for i in range(310):
        assert cache.add(f"live-{i}", i, 3600) is True
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO huntaze_cache (cache_key, value, expires) "
            "SELECT 'expired-' || g, 'x', now() - interval '1 minute' FROM generate_series(1, 50) g"
        )
    monkeypatch.setattr(cache_module, "_next_sweep", 0.0)
    assert cache.add("one-more", 1, 60) is True

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM huntaze_cache WHERE cache_key LIKE 'expired-%%'")
        assert cursor.fetchone()[0] == 0
    assert [cache.get(f"live-{i}") for i in range(310)] == list(range(310))
