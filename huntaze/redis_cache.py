"""Redis as the shared cache (``REDIS_URL``), with the database cache behind it
(docs/configuration.md, Redis).

Everything that uses Django's cache (the rate limits of ``huntaze/throttles.py``, allauth's own
limits) goes through this backend when ``REDIS_URL`` is set. Redis is an accelerator here, never
a single point of failure:

- **Bounded cost.** Connect and read timeouts of ``REDIS_TIMEOUT_SECONDS`` (0.5 s by default)
  and no retry after a timeout: a hung Redis costs a request at most about a second. A refused
  or dropped connection is retried once at once (a Redis that restarted, a connection the
  server closed while it sat in the pool).
- **Failure policy: the database cache takes over.** A call that fails (timeout, refused
  connection, an error answer) is served by the database cache (``FALLBACK``, the cache the
  product uses without Redis), and so is every call of this process for the next
  ``RETRY_SECONDS``; then one call tries Redis again (the others keep to the database until it
  answers), so a hung Redis is waited on once per worker every few seconds, not on every
  request. The rate limits keep their rates on PostgreSQL, shared by every instance as before
  Redis: nobody is locked out, and no brute force gets through. The counts of the window in
  progress when the cache switches start again from zero (at most twice a rate in that window).
- **Recovery without a restart.** The first call that reaches Redis again puts the process back
  on it.
- **Seen.** One WARNING log line when a process falls back, one when it is back on Redis;
  ``huntaze_redis_errors_total`` counts the failed calls and ``huntaze_cache_degraded`` is 1
  while a worker serves the cache from the database (docs/operations.md).

The Redis client (with its connection pool) is shared by the whole process: Django makes one
cache object per thread, which under gevent is one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from huntaze import metrics

logger = logging.getLogger("huntaze.cache")

# After a failure, the seconds this process serves the cache from the database before it tries
# Redis again.
RETRY_SECONDS = 5.0

# A timeout is not retried (the cost stays one timeout); a refused or dropped connection is,
# once, at once.
_RETRY = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))

# Socket errors are wrapped by redis-py; OSError is caught too in case one slips through.
_FAILURES = (RedisError, OSError)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, RedisTimeoutError):
        return "timeout"
    if isinstance(exc, RedisConnectionError | OSError):
        return "connection"
    return "error"


class _Circuit:
    """Whether this process talks to Redis: closed (yes), open (no, until ``retry_at``), and
    one caller at a time probing Redis once ``retry_at`` has passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.degraded = False
        self.retry_at = 0.0

    def allows(self) -> bool:
        if not self.degraded:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self.retry_at:
                return False
            self.retry_at = now + RETRY_SECONDS  # this caller probes; the others wait for it
            return True

    def failed(self, exc: BaseException) -> None:
        kind = _kind(exc)
        metrics.redis_error(kind)
        with self._lock:
            self.retry_at = time.monotonic() + RETRY_SECONDS
            was_degraded, self.degraded = self.degraded, True
        if not was_degraded:
            metrics.cache_degraded(True)
            logger.warning(
                "redis unavailable (%s: %s): the cache falls back to the database, "
                "redis is tried again every %s s",
                kind,
                type(exc).__name__,
                int(RETRY_SECONDS),
            )

    def succeeded(self) -> None:
        if not self.degraded:
            return
        with self._lock:
            was_degraded, self.degraded = self.degraded, False
        if was_degraded:
            metrics.cache_degraded(False)
            logger.warning("redis is back: the cache is on redis again")


_circuit = _Circuit()
_clients: dict[tuple, RedisCacheClient] = {}
_clients_lock = threading.Lock()


def _with_fallback(name: str):
    """``RedisCache.<name>``: Redis when the circuit allows it, else (or when Redis fails) the
    same call on the fallback cache."""
    on_redis = getattr(DjangoRedisCache, name)

    def method(self, *args: Any, **kwargs: Any) -> Any:
        if _circuit.allows():
            try:
                result = on_redis(self, *args, **kwargs)
            except _FAILURES as exc:
                _circuit.failed(exc)
            else:
                _circuit.succeeded()
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Django's ``{name}`` on Redis, on the fallback cache when Redis fails."
    return method


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with bounded timeouts and the database cache as fallback.

    ``CACHES`` entry: ``LOCATION`` the Redis URL, ``FALLBACK`` the alias of the cache that
    serves while Redis is unavailable, ``OPTIONS`` redis-py's connection options.
    """

    def __init__(self, server, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._fallback_alias = params["FALLBACK"]
        self._options = {"retry": _RETRY, **self._options}

    @property
    def fallback(self):
        return caches[self._fallback_alias]

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        client = _clients.get(key)
        if client is None:
            with _clients_lock:
                client = _clients.setdefault(key, self._class(self._servers, **self._options))
        return client

    add = _with_fallback("add")
    get = _with_fallback("get")
    set = _with_fallback("set")
    touch = _with_fallback("touch")
    delete = _with_fallback("delete")
    get_many = _with_fallback("get_many")
    has_key = _with_fallback("has_key")
    incr = _with_fallback("incr")
    set_many = _with_fallback("set_many")
    delete_many = _with_fallback("delete_many")
    clear = _with_fallback("clear")
