"""Prometheus metrics of the whole instance, served at ``GET /metrics`` (docs/operations.md).

**Every gunicorn worker aggregated.** With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py
sets it, or creates a private temporary directory, before any worker imports this module),
prometheus-client runs in its multiprocess mode: each worker writes its samples to memory-mapped
files in that directory and a scrape, answered by any worker, merges every file. gunicorn.conf.py
wipes the directory at start-up (``on_starting``) and marks dead workers (``child_exit`` →
``mark_process_dead``), as the client's documentation requires. Without the variable
(``runserver``, tests, ``manage.py`` commands) the process's own default registry is served.

**Bounded labels only.** Routes are URL patterns (``/api/content/<str:asset_id>``), never a
path with an id; statuses are classes (``2xx``); outcomes, kinds and scopes are fixed words. No
email, id, token or free text ever becomes a label value.

**Cheap on the request path.** One request costs a dict lookup of its cached label children,
one counter increment and one histogram observation (docs/operations.md has the measured
cost); the SQL timer is one ``perf_counter`` pair and one observation per query.

**Not public.** ``/metrics`` answers only ``Authorization: Bearer <METRICS_TOKEN>`` (compared in
constant time); without a configured token, or with a missing or wrong one, it is the API's
404 ``not_found``, so the endpoint does not advertise itself. It is answered by
``HealthCheckMiddleware`` with the health probes: before host validation and the HTTPS
redirect (a scraper on the private network uses the instance address and plain HTTP), and
outside the request metrics (scrapes do not count as traffic).

Feature apps report through the small functions below (``ai_generation_observe``,
``invite_event`` …); figures that are read at scrape time from the database (the AI budget, the
job queue) are registered by their app with ``register_scrape_gauges`` or
``register_scrape_families``, so ``huntaze`` imports no app.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpResponse
from django.utils.translation import gettext as _
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from huntaze.db import database_ping
from huntaze.exceptions import database_bound, error_response

logger = logging.getLogger("huntaze.metrics")

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# Latency buckets up to the 60 s worker timeout (an AI generation may take 45 s).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
AI_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 15, 30, 45, 60)

HTTP_REQUESTS = Counter(
    "huntaze_http_requests",
    "HTTP requests answered, by method, route (URL pattern) and status class.",
    ["method", "route", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "huntaze_http_request_duration_seconds",
    "Time to answer a request, by method and route (URL pattern).",
    ["method", "route"],
    buckets=REQUEST_BUCKETS,
)
DB_QUERY_SECONDS = Histogram(
    "huntaze_db_query_duration_seconds",
    "Time of each SQL statement the application runs.",
    buckets=QUERY_BUCKETS,
)
DB_CONNECTIONS = Gauge(
    "huntaze_db_connections_open",
    "PostgreSQL connections held open by the instance's live worker processes.",
    multiprocess_mode="livesum",
)
HEALTH_CHECK_SECONDS = Histogram(
    "huntaze_health_check_duration_seconds",
    "Time of the readiness probe's database check (/api/health), by outcome.",
    ["outcome"],
    buckets=QUERY_BUCKETS,
)
AI_GENERATIONS = Counter(
    "huntaze_ai_generations",
    "AI generations requested, by outcome (success, quota_exceeded, budget_exhausted, "
    "unavailable, not_configured, rejected, error).",
    ["outcome"],
)
AI_GENERATION_SECONDS = Histogram(
    "huntaze_ai_generation_duration_seconds",
    "Time spent on the AI model for one generation (retries included), by outcome.",
    ["outcome"],
    buckets=AI_BUCKETS,
)
AI_TOKENS = Counter(
    "huntaze_ai_tokens",
    "Tokens of successful AI generations, by kind (prompt, completion).",
    ["kind"],
)
STRIPE_WEBHOOK_EVENTS = Counter(
    "huntaze_stripe_webhook_events",
    "Stripe webhook deliveries, by event type (handled types by name, others 'other') and "
    "outcome (applied, ignored, duplicate, invalid_signature, failed).",
    ["type", "outcome"],
)
INVITES = Counter(
    "huntaze_invites",
    "Beta invites by event: issued, queued (email handed to the job worker), redeemed.",
    ["event"],
)
SIGNINS = Counter(
    "huntaze_signins",
    "API sign-ins by outcome (success, failure).",
    ["outcome"],
)
RATE_LIMITED = Counter(
    "huntaze_rate_limited",
    "Requests refused by a rate limit, by scope (signin_ip, ai_generate_user …).",
    ["scope"],
)
DB_BOUNDS_REACHED = Counter(
    "huntaze_db_bounds_reached",
    "SQL statements PostgreSQL ended at a bound of web requests, by bound (statement_timeout, "
    "lock_timeout); their requests answered 503.",
    ["bound"],
)
REDIS_ERRORS = Counter(
    "huntaze_redis_errors",
    "Cache calls Redis failed, by kind (timeout, connection, error); each was served by the "
    "database cache instead (huntaze/redis_cache.py).",
    ["kind"],
)
CACHE_DEGRADED = Gauge(
    "huntaze_cache_degraded",
    "1 while a live worker serves the cache from the database because Redis failed.",
    multiprocess_mode="livemax",
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
UNMATCHED = "unmatched"


# --- requests ------------------------------------------------------------------------------------

# (method, route, status class) -> (counter child, histogram child): ``labels()`` validates and
# locks on every call; the set of keys is bounded by the URL patterns, so the cache is too.
_request_children: dict[tuple[str, str, str], tuple] = {}


def request_route(request) -> str:
    """The URL pattern that served ``request`` (``/api/content/<str:asset_id>``), never its path.

    Requests answered before URL resolution (413, a foreign ``Host``) or matching no pattern
    (a scanner's ``/wp-login.php``) are ``unmatched``.
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    route = match.route
    if not route:
        return match.view_name or UNMATCHED
    return route if route.startswith("^") else "/" + route


def request_observe(request, status: int, seconds: float) -> None:
    """Count one answered request and its latency (called once per request by
    ``huntaze.middleware.RequestLogMiddleware``)."""
    method = request.method if request.method in _METHODS else "other"
    key = (method, request_route(request), _STATUS_CLASSES.get(status // 100, "other"))
    children = _request_children.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(*key),
            HTTP_REQUEST_SECONDS.labels(key[0], key[1]),
        )
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


# --- database ------------------------------------------------------------------------------------


def _timed_execute(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    except DatabaseError as exc:
        bound = database_bound(exc)
        if bound is not None:
            DB_BOUNDS_REACHED.labels(bound).inc()
        raise
    finally:
        DB_QUERY_SECONDS.observe(time.perf_counter() - started)


_connections_open = -1
_connections_lock = threading.Lock()


def _open_connections() -> int:
    """The PostgreSQL connections this process holds: with Django's pool (the gevent workers,
    docs/configuration.md) the pool's own count, shared by all the process's requests; without
    it, the connections of this thread."""
    count = 0
    for conn in connections.all(initialized_only=True):
        pool = conn.pool if conn.vendor == "postgresql" else None
        if pool is not None:
            count += int(pool.get_stats().get("pool_size", 0))
        elif conn.connection is not None:
            count += 1
    return count


def _connections_refresh() -> None:
    """Set the open-connection gauge of this process (a write only when it changed)."""
    global _connections_open
    count = _open_connections()
    with _connections_lock:
        if count != _connections_open:
            _connections_open = count
            DB_CONNECTIONS.set(count)


def on_connection_created(sender, connection, **kwargs) -> None:
    """``connection_created``: time every statement of the connection and count it."""
    if _timed_execute not in connection.execute_wrappers:
        # Index 0: ``execute_wrapper()`` context managers push and pop at the end of the list.
        connection.execute_wrappers.insert(0, _timed_execute)
    _connections_refresh()


def on_request_finished(sender, **kwargs) -> None:
    """``request_finished``, after Django closed obsolete connections: refresh the gauge."""
    _connections_refresh()


def health_check_observe(*, healthy: bool, seconds: float) -> None:
    HEALTH_CHECK_SECONDS.labels("healthy" if healthy else "unhealthy").observe(seconds)


# --- feature events ------------------------------------------------------------------------------


def ai_generation_observe(
    *,
    outcome: str,
    seconds: float | None = None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
) -> None:
    """One AI generation ended with ``outcome``; ``seconds`` spent on the model, if called."""
    AI_GENERATIONS.labels(outcome).inc()
    if seconds is not None:
        AI_GENERATION_SECONDS.labels(outcome).observe(seconds)
    if prompt_tokens:
        AI_TOKENS.labels("prompt").inc(prompt_tokens)
    if completion_tokens:
        AI_TOKENS.labels("completion").inc(completion_tokens)


# The event types billing handles; any other type a signed delivery carries is "other", so a
# label value is never taken from an unbounded set.
STRIPE_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
    }
)


def stripe_webhook_observe(*, event_type: str | None, outcome: str) -> None:
    if event_type is None:
        label = "unknown"  # not verified: nothing of the body is trusted
    else:
        label = event_type if event_type in STRIPE_EVENT_TYPES else "other"
    STRIPE_WEBHOOK_EVENTS.labels(label, outcome).inc()


def invite_event(event: str, count: int = 1) -> None:
    """``issued``, ``queued`` or ``redeemed`` (deliveries are counted by the job queue)."""
    if count:
        INVITES.labels(event).inc(count)


def signin_observe(*, success: bool) -> None:
    SIGNINS.labels("success" if success else "failure").inc()


def rate_limited(scope: str) -> None:
    RATE_LIMITED.labels(scope).inc()


def redis_error(kind: str) -> None:
    """A cache call Redis failed: ``timeout``, ``connection`` or ``error``."""
    REDIS_ERRORS.labels(kind).inc()


def cache_degraded(degraded: bool) -> None:
    CACHE_DEGRADED.set(1 if degraded else 0)


# --- figures read at scrape time -----------------------------------------------------------------

# Each callable returns ``(name, help, value)`` triples, read from the database when /metrics is
# scraped (e.g. the month's AI spend and budget, registered by content's AppConfig).
ScrapeGauges = Callable[[], Iterable[tuple[str, str, float]]]
_scrape_gauges: list[ScrapeGauges] = []


def register_scrape_gauges(source: ScrapeGauges) -> None:
    if source not in _scrape_gauges:
        _scrape_gauges.append(source)


# Each callable yields prometheus-client metric families (labelled gauges and counters), read
# from the database when /metrics is scraped (e.g. the job queue's, registered by ``jobs``).
ScrapeFamilies = Callable[[], Iterable[object]]
_scrape_families: list[ScrapeFamilies] = []


def register_scrape_families(source: ScrapeFamilies) -> None:
    if source not in _scrape_families:
        _scrape_families.append(source)


class _ScrapeCollector:
    """Figures computed per scrape: the database probe and the registered gauges."""

    def collect(self):
        up = GaugeMetricFamily(
            "huntaze_database_up", "1 when the scrape's SELECT 1 succeeded, else 0."
        )
        ping = GaugeMetricFamily(
            "huntaze_database_ping_seconds", "Latency of the scrape's SELECT 1 (when up)."
        )
        try:
            seconds = database_ping()
        except DatabaseError:
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
            ping.add_metric([], seconds)
            for source in _scrape_gauges:
                try:
                    for name, documentation, value in source():
                        family = GaugeMetricFamily(name, documentation)
                        family.add_metric([], value)
                        yield family
                except Exception as exc:  # one failing source must not break the scrape
                    logger.warning("metrics source failed: %s", type(exc).__name__)
            for families in _scrape_families:
                try:
                    yield from list(families())
                except Exception as exc:
                    logger.warning("metrics source failed: %s", type(exc).__name__)
        yield up
        yield ping


_registry_lock = threading.Lock()
_registry: CollectorRegistry | None = None


def _instance_registry() -> CollectorRegistry:
    """Every worker's samples (multiprocess mode) or this process's default registry."""
    global _registry
    if not MULTIPROCESS:
        return REGISTRY
    with _registry_lock:
        if _registry is None:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            _registry = registry
        return _registry


def exposition() -> bytes:
    """The Prometheus text format of the whole instance, plus the scrape-time figures."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_ScrapeCollector())
    return generate_latest(_instance_registry()) + generate_latest(scrape)


def token_is_valid(header: str) -> bool:
    """``Authorization: Bearer <METRICS_TOKEN>``, compared in constant time."""
    expected = getattr(settings, "METRICS_TOKEN", "") or ""
    scheme, _sep, value = (header or "").strip().partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(
        value.strip().encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def metrics_view(request) -> HttpResponse:
    if not token_is_valid(request.META.get("HTTP_AUTHORIZATION", "")):
        return error_response("not_found", _("Ressource introuvable."), 404)
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
