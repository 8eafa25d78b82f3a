"""Database connection plumbing shared by every app: the per-worker request slots, handing a
connection back before a slow upstream call (docs/benchmark.md, Server model), and the
``SELECT 1`` ping of the health probe and the metrics.

Under the Procfile's gevent workers each process has a pool of ``DATABASE_POOL_MAX_SIZE``
connections (huntaze/settings/base.py). ``RequestSlotMiddleware`` lets that many requests of a
worker run at once and queues the others in arrival order, as the listen backlog queued them for
sync workers, so a burst (50 sign-ins hashing Argon2 at once) waits its turn instead of timing
out on the pool: the pool's short timeout is then only ever reached when the database itself is
gone (a fast 503). A request about to wait on Azure OpenAI or Stripe calls
``connection_release()``: its connection goes back to the pool and its slot to the next request,
so slow upstream calls never hold back the others. Without the pool (sync workers, tests,
``manage.py``) both do nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import DatabaseError, NotSupportedError, OperationalError, connection

# threading objects are gevent's once the worker has monkey-patched: per greenlet / cooperative.
_state = threading.local()
_slots_lock = threading.Lock()
_slots: _Slots | None = None
_on_free: list[Callable[[], object]] = []


class _Slots:
    """A semaphore that also says how many slots are free, and calls back when one frees."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self._semaphore = threading.Semaphore(size)

    def acquire(self) -> None:
        self._semaphore.acquire()
        self.free -= 1

    def release(self) -> None:
        self.free += 1
        self._semaphore.release()
        for callback in _on_free:
            callback()


def _pool_size() -> int:
    pool = connection.settings_dict["OPTIONS"].get("pool")
    return int(pool.get("max_size", 0)) if isinstance(pool, dict) else 0


def _request_slots() -> _Slots | None:
    global _slots
    size = _pool_size()
    if size <= 0:
        return None
    if _slots is None or _slots.size != size:
        with _slots_lock:
            if _slots is None or _slots.size != size:
                _slots = _Slots(size)
    return _slots


def request_slots_exhausted() -> bool:
    """Every request slot of this worker is taken (its gevent server stops accepting)."""
    slots = _request_slots()
    return slots is not None and slots.free <= 0


def request_slots_on_free(callback: Callable[[], object]) -> None:
    """Call ``callback`` whenever a request slot is given back (huntaze/gunicorn_worker.py)."""
    _on_free.append(callback)


def request_slot_acquire() -> None:
    slots = _request_slots()
    if slots is not None and not getattr(_state, "held", None):
        slots.acquire()
        _state.held = slots


def request_slot_release() -> None:
    held = getattr(_state, "held", None)
    if held:
        _state.held = None
        held.release()


class RequestSlotMiddleware:
    """At most ``DATABASE_POOL_MAX_SIZE`` requests of a worker run at once (see module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_slot_acquire()
        try:
            return self.get_response(request)
        finally:
            # A streamed answer goes on without a slot: it only waits on the model.
            request_slot_release()


def connection_release() -> None:
    """Give this request's database connection and its slot back before a slow upstream call.

    A request that kept its pooled connection while Azure OpenAI writes for 45 s, or Stripe
    answers in 10 s, would starve every other request of its worker. The next query of the
    request takes a connection from the pool again (without a slot: it is short). Inside a
    transaction, and without the pool, this does nothing.
    """
    if connection.in_atomic_block or not connection.settings_dict["OPTIONS"].get("pool"):
        return
    connection.close()
    request_slot_release()


def _stale_plan(error: NotSupportedError) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == "0A000" and "cached plan must not change" in str(
        cause
    )


def prepared_statements_survive_migrations(execute, sql, params, many, context):
    """An execute wrapper (installed on every connection when statements are prepared,
    ``DATABASE_PREPARED_STATEMENTS``): a statement prepared on this connection before another
    process changed a column it reads (``migrate`` of a release, while the old workers serve)
    fails with "cached plan must not change result type" until the connection forgets it.

    Outside a transaction the statement failed without effect: the connection's prepared
    statements are dropped (``DEALLOCATE ALL``, which psycopg also clears from its own cache)
    and the statement runs again, once. Inside one the transaction is lost: the error becomes
    an ``OperationalError`` (a 503, as for any database failure), and the rollback clears the
    prepared statements for the next request.
    """
    try:
        return execute(sql, params, many, context)
    except NotSupportedError as error:
        if not _stale_plan(error):
            raise
        db = context["connection"]
        if db.in_atomic_block:
            raise OperationalError("a prepared statement went stale (schema changed)") from error
        db.connection.execute("DEALLOCATE ALL")
        return execute(sql, params, many, context)


def on_connection_created(sender, connection, **kwargs) -> None:
    """``connection_created``: install ``prepared_statements_survive_migrations``."""
    if connection.settings_dict["OPTIONS"].get("server_side_binding") and (
        prepared_statements_survive_migrations not in connection.execute_wrappers
    ):
        connection.execute_wrappers.insert(0, prepared_statements_survive_migrations)


def database_ping() -> float:
    """``SELECT 1``; its latency in seconds. Raises ``DatabaseError`` when PostgreSQL does not
    answer, after dropping the broken connection so the next request opens a fresh one
    (recovery without a restart). Run by the readiness probe (``huntaze.health``), each ``/metrics``
    scrape and the staff's dashboard."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        connection.close()
        raise
    return time.perf_counter() - started
