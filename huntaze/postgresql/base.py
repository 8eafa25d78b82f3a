"""Django's PostgreSQL backend, whose psycopg pool checks a connection before lending it only when
it was not lent within the last second (huntaze/pool.py). ``database_settings`` names this
backend (``ENGINE = "huntaze.postgresql"``) only with the pool (``DATABASE_POOL_MAX_SIZE`` > 0,
the Procfile's gevent workers); everything else is Django's backend unchanged.
"""

from __future__ import annotations

from django.db.backends.postgresql import base

from huntaze.pool import pool_connection_check


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django builds the pool with check=ConnectionPool.check_connection (CONN_HEALTH_CHECKS)
        # and takes no other; psycopg_pool keeps it in ``_check`` (psycopg-pool 3.3.3, pinned in
        # requirements.txt; tests/robustness/test_pool.py fails if that changes).
        if pool is not None and pool._check is not pool_connection_check:
            pool._check = pool_connection_check
        return pool
