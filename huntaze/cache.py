"""The database cache (the default cache: rate limits), with writes PostgreSQL never refuses.

Django's ``DatabaseCache`` writes with SELECT, then INSERT or UPDATE, and relies on the
database refusing a duplicate key to settle races: ``add()`` of a key that exists and has not
expired *always* runs an INSERT that fails. Django swallows the error, but PostgreSQL logs
each one (``ERROR: duplicate key value violates unique constraint "huntaze_cache_pkey"``), and
the rate limiters call ``add()`` on every counted request: the server log filled with errors
during ordinary use, hiding real ones.

- ``add()`` is one ``INSERT … ON CONFLICT`` statement: insert, or overwrite the row only when it
  has expired (``WHERE expires < now``); the row count says whether the key was added. It is
  also atomic, which Django's SELECT-then-INSERT is not.
- ``incr()`` is atomic and keeps the key's expiry: the row is read ``FOR UPDATE`` and updated in
  one transaction, where Django's get-then-``set()`` lost concurrent increments (parallel
  requests under a rate limit all passed) and reset the expiry to the default 300 s (a bucket
  of a one-hour limit vanished five minutes after its last request).
- Expired rows are deleted by ``add()`` at most once a minute per process (``SWEEP_SECONDS``),
  outside any transaction. Django's culling (in ``set()``, past ``MAX_ENTRIES``) would also
  delete a third of the *live* rows, and a live row here is a rate-limit counter: deleting it
  lets the next requests through. ``add()`` and ``incr()`` never cull; ``set()`` (only the rate
  limiter's fallback when a key expired between its ``add`` and its ``incr``) is Django's.

Everything else (reads, ``set``, ``touch``, deletes) is Django's. Public APIs only: the methods
of Django's cache API, the backend's constructor (``table``, ``params``), ``BaseCache``'s key and
timeout helpers, and the table as ``createcachetable`` makes it, values stored as Django stores
them (base64 of a pickle), which ``tests/foundation/test_database_cache.py`` reads back through
Django's own ``get()``. On another database vendor the parent class runs unchanged.
"""

from __future__ import annotations

import base64
import pickle
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now

SWEEP_SECONDS = 60.0
# Per process: Django builds a cache object per thread (per greenlet under gevent).
_next_sweep = 0.0


def _encode(value, protocol: int) -> str:
    return base64.b64encode(pickle.dumps(value, protocol)).decode("latin1")


class DatabaseCache(DjangoDatabaseCache):
    def __init__(self, table: str, params: dict) -> None:
        super().__init__(table, params)
        self.table = table

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        connection = connections[router.db_for_write(self.cache_model_class)]
        if connection.vendor != "postgresql":
            return super().add(key, value, timeout, version)
        key = self.make_and_validate_key(key, version=version)
        ops = connection.ops
        table = ops.quote_name(self.table)
        timeout = self.get_backend_timeout(timeout)
        if timeout is None:
            expires = datetime.max
        else:
            expires = datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        now = ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        # The table name is a quoted setting (CACHES LOCATION), never client input.
        upsert = (
            f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, "
            f"expires = EXCLUDED.expires WHERE {table}.expires < %s"
        )
        expires = ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        try:
            with connection.cursor() as cursor:
                self._sweep(connection, cursor, table, now)
                cursor.execute(upsert, [key, _encode(value, self.pickle_protocol), expires, now])
                return cursor.rowcount == 1
        except DatabaseError:  # as Django: a cache write never fails the caller
            return False

    @staticmethod
    def _sweep(connection, cursor, table: str, now) -> None:
        global _next_sweep
        if connection.in_atomic_block or time.monotonic() < _next_sweep:
            return
        _next_sweep = time.monotonic() + SWEEP_SECONDS
        cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608

    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor != "postgresql":
            return super().incr(key, delta, version)
        key = self.make_and_validate_key(key, version=version)
        table = connection.ops.quote_name(self.table)
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {table} WHERE cache_key = %s AND expires >= %s FOR UPDATE",  # noqa: S608
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301
            cursor.execute(
                f"UPDATE {table} SET value = %s WHERE cache_key = %s",  # noqa: S608
                [_encode(value, self.pickle_protocol), key],
            )
        return value
