"""Django's PostgreSQL backend for the gevent workers' pool: every connection is checked before a
request gets it, and one PostgreSQL dropped is skipped at once.

``database_settings`` (huntaze/settings/base.py) names this backend (``ENGINE =
"huntaze.postgresql"``) only with the pool (``DATABASE_POOL_MAX_SIZE`` > 0, the Procfile's gevent
workers); everything else is Django's backend unchanged. Public APIs only: Django's backend
method ``get_new_connection`` (where the pool lends), psycopg_pool's
``ConnectionPool.check_connection`` and ``putconn``.

Why not the pool's own check (Django passes ``check=ConnectionPool.check_connection`` when
``CONN_HEALTH_CHECKS`` is on): after a failed check psycopg_pool *sleeps* before it lends the
next connection (1 s, then 2 s…, against a busy loop). After a PostgreSQL restart every pooled
connection of a worker is dead, so a request met one, slept a second, met the next and ran out
of the pool's 2 s timeout: a 503 while PostgreSQL was already serving the worker next door.
Here the check is the same empty query (one round trip), and a dead connection costs only its
failed check: closed and handed back, the pool replaces it in the background, and the request
takes the next one — at most ``max_size`` + 1 lends (every pooled one dead, then a new one).
The settings turn the pool's own check off with the pool, so there is one check per lend.
"""

from __future__ import annotations

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        pool = self.pool
        if pool is None:
            return super().get_new_connection(conn_params)
        lends = pool.max_size + 1
        for lend in range(1, lends + 1):
            connection = super().get_new_connection(conn_params)  # the pool lends
            try:
                ConnectionPool.check_connection(connection)
            except psycopg.Error:
                connection.close()
                pool.putconn(connection)  # a closed connection is discarded and replaced
                if lend == lends:
                    raise
            else:
                return connection
