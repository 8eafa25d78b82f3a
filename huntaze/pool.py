"""psycopg_pool tuning for the gevent workers' database pool (huntaze/settings/base.py,
``database_settings``; docs/performance-notes.md). No Django import: the settings name
``pool_connection_check`` in ``OPTIONS["pool"]``.

- **The check before lending.** A pool checks a connection before lending it (an empty query,
  one round trip) so that a request never gets one PostgreSQL has dropped. Under load the same
  few connections are lent hundreds of times a second, and that round trip was ~5 % of a
  worker (py-spy on the benchmark's mix). ``pool_connection_check`` skips it for a connection
  lent less than ``CHECK_SKIP_SECONDS`` ago: it has talked to the server since (after it was
  lent) and came back healthy (the pool discards a connection that comes back broken). An idle
  connection is checked as before, so a PostgreSQL restart is survived exactly as before; only
  a connection dropped within that second of its last use can reach a request, which then
  answers 503 (``service_unavailable``) as every request does while the database is away.
- **Reconnecting.** ``pool_reconnect_configure`` makes a pool that lost its database retry every
  second instead of doubling its wait after each failure (1, 2, 4, 8… s): with the default, a
  worker whose database came back after a 30 s failover could wait up to 30 s more before its
  next attempt, answering 503s while its neighbour already served 200s. A refused connection
  costs the pool's background thread one failed connect a second; no request waits on it.
"""

from __future__ import annotations

import time

from psycopg_pool import ConnectionPool

CHECK_SKIP_SECONDS = 1.0
RECONNECT_DELAY_SECONDS = 1.0


def pool_connection_check(conn) -> None:
    """The pool's ``check``: ``ConnectionPool.check_connection`` unless lent within a second."""
    now = time.monotonic()
    lent_at = getattr(conn, "_huntaze_lent_at", None)
    conn._huntaze_lent_at = now
    if lent_at is not None and now - lent_at < CHECK_SKIP_SECONDS:
        return
    ConnectionPool.check_connection(conn)


def pool_reconnect_configure() -> None:
    """Make psycopg_pool retry a lost database at a steady pace (called once at start-up)."""
    from psycopg_pool.base import AttemptWithBackoff

    AttemptWithBackoff.INITIAL_DELAY = RECONNECT_DELAY_SECONDS
    AttemptWithBackoff.DELAY_BACKOFF = 1.0
