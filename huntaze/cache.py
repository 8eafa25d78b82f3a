"""The database cache (the default cache: rate limits), with writes PostgreSQL never refuses.

Django's ``DatabaseCache`` writes with SELECT, then INSERT or UPDATE, and relies on the
database refusing a duplicate key to settle races: ``add()`` of a key that exists and has not
expired *always* runs an INSERT that fails. Django swallows the error, but PostgreSQL logs
each one (``ERROR: duplicate key value violates unique constraint "huntaze_cache_pkey"``), and
the rate limiters call ``add()`` on every counted request: the server log filled with errors
during ordinary use, hiding real ones.

Here ``set()`` and ``add()`` are one ``INSERT … ON CONFLICT`` statement each on PostgreSQL:

- ``set``: insert, or overwrite the existing row;
- ``add``: insert, or overwrite the row only when it has expired (``WHERE expires < now``);
  the row count says whether the key was added. It is also atomic, which Django's SELECT-then-
  INSERT is not.

``incr()`` is atomic and keeps the key's expiry: the row is read ``FOR UPDATE`` and updated in
one transaction, where Django's get-then-``set()`` lost concurrent increments (parallel
requests under a rate limit all passed) and reset the expiry to the default 300 s (a bucket
of a one-hour limit vanished five minutes after its last request).

Everything else (reads, culling, ``touch``, deletes) is Django's. On another database vendor
the parent class runs unchanged.
"""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(DjangoDatabaseCache):
    def _base_set(self, mode, key, value, timeout=DEFAULT_TIMEOUT):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if mode == "touch" or connection.vendor != "postgresql":
            return super()._base_set(mode, key, value, timeout)
        timeout = self.get_backend_timeout(timeout)
        quote_name = connection.ops.quote_name
        table = quote_name(self._table)
        now = tz_now().replace(microsecond=0)
        if timeout is None:
            expires = datetime.max
        else:
            expires = datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        only_if_expired = f" WHERE {table}.expires < %s" if mode == "add" else ""
        params = [key, encoded, expires]
        if mode == "add":
            params.append(connection.ops.adapt_datetimefield_value(now))
        with connection.cursor() as cursor:
            # The table name is a quoted setting (CACHES LOCATION), never client input.
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            count = cursor.fetchone()[0]
            if count > self._max_entries:
                self._cull(db, cursor, now, count)
            upsert = (
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608
                "ON CONFLICT (cache_key) DO UPDATE "
                f"SET value = EXCLUDED.value, expires = EXCLUDED.expires{only_if_expired}"
            )
            try:
                cursor.execute(upsert, params)
            except DatabaseError:  # as Django: a cache write never fails the caller
                return False
            return cursor.rowcount == 1

    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor != "postgresql":
            return super().incr(key, delta, version)
        key = self.make_and_validate_key(key, version=version)
        table = connection.ops.quote_name(self._table)
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
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET value = %s WHERE cache_key = %s",  # noqa: S608
                [encoded, key],
            )
        return value
