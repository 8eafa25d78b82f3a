"""A PostgreSQL restart heals at once (docs/robustness.md): the Procfile's server with its real
workers, their pools full; PostgreSQL drops every connection (as a restart or a failover does),
then stops and starts again. From the first good answer on, every request of every worker
succeeds: no worker lends a connection PostgreSQL dropped, none waits out its pool timeout
behind them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.robustness.conftest import report
from tests.robustness.test_faults import _create_user_and_token, _get
from tests.servers import EmbeddedPostgres, Gunicorn, migrate, production_env

pytestmark = pytest.mark.slow

WORKERS = 3  # as in production on 3 cores: each worker a pool of (10 - 2) // 3 = 2


def _fill_the_pools(url: str, token: str) -> None:
    """Concurrent reads: every worker opens (and has just lent) all its connections."""
    with ThreadPoolExecutor(4 * WORKERS) as burst:
        for _ in range(3):
            assert {r[0] for r in burst.map(lambda _: _get(url, token), range(48))} == {200}


def _reads(url: str, token: str, *, until: float, good: int) -> list[tuple[float, int, float]]:
    """One reader, as a page makes its reads one after the other (the kernel hands each new
    connection to whichever worker accepts first, so the reads go from worker to worker):
    ``(sent, status, answered)`` until ``good`` 200s or ``until``."""
    results: list[tuple[float, int, float]] = []
    while time.monotonic() < until and sum(r[1] == 200 for r in results) < good:
        sent = time.monotonic()
        status, _body, elapsed = _get(url, token)
        results.append((sent, status, sent + elapsed))
    return results


def _failed_after_first_good(results, since: float) -> list[tuple[float, int]]:
    assert {r[1] for r in results} <= {200, 503}, sorted({r[1] for r in results})
    first_good = min((r[2] for r in results if r[1] == 200), default=None)
    assert first_good is not None, "no 200"
    after = [r for r in results if r[0] >= first_good]
    assert len(after) >= 30
    return [(round(r[0] - since, 2), r[1]) for r in after if r[1] != 200]


def test_from_the_first_good_answer_after_a_restart_every_request_succeeds():
    pg = EmbeddedPostgres("restart")
    server = None
    try:
        env = production_env(pg.start())
        migrate(env)
        token = _create_user_and_token(env)
        server = Gunicorn(env, workers=WORKERS)
        pid = server.proc.pid
        url = server.base + "/api/content"

        # 1. Every connection dropped at once, a moment after its last use (a restart or a
        # failover shorter than a second): each was lent within the last second, so a check
        # skipped for recently lent connections let the next reads meet dead ones (503s).
        _fill_the_pools(url, token)
        time.sleep(0.1)  # the last reads have given their connections back
        with psycopg.connect(pg.url.replace("/huntaze?", "/postgres?"), autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = 'huntaze' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        assert dropped >= WORKERS
        dropped_at = time.monotonic()
        results = _reads(url, token, until=dropped_at + 20, good=40)
        assert [(round(r[0] - dropped_at, 2), r[1]) for r in results if r[1] != 200] == []
        report(
            "connections dropped",
            reads=len(results),
            failed=0,
            slowest_s=max(r[2] - r[0] for r in results),
        )

        # 2. PostgreSQL stopped and started again with every pool full: after the restart each
        # worker holds only dropped connections, and meets them as the first reads arrive.
        _fill_the_pools(url, token)
        stopped_at = time.monotonic()
        pg.stop()
        time.sleep(1)
        pg.restart()
        restarted_at = time.monotonic()
        results = _reads(url, token, until=restarted_at + 30, good=60)
        assert _failed_after_first_good(results, restarted_at) == []
        first_good = min(r[2] for r in results if r[1] == 200)
        report(
            "postgresql restarted",
            down_s=restarted_at - stopped_at,
            first_200_after_restart_s=first_good - restarted_at,
            unavailable_503=sum(r[1] == 503 for r in results),
            slowest_503_s=max((r[2] - r[0] for r in results if r[1] == 503), default=0.0),
            reads_after_first_200=sum(r[0] >= first_good for r in results),
        )
        assert server.proc.poll() is None and server.proc.pid == pid
    finally:
        if server:
            server.stop()
        pg.destroy()
