"""Error reports to Sentry: the only module that imports ``sentry_sdk`` (docs/operations.md).

``SENTRY_DSN`` turns it on (settings call ``sentry_init`` at the end of loading). What is sent:

- **Unhandled errors**: Django's (``got_request_exception``, through the Django integration) and
  those of API views, which DRF's exception handler turns into a 500 after logging them with
  ``logger.exception`` (``huntaze.exceptions``): the logging integration reports every record
  at ERROR with its exception. The request log line (``huntaze.request``, ERROR for any 5xx) is
  ignored, so a 500 is one report, and a 503 for a lost database none (its WARNING is a
  breadcrumb).
- **Each report carries its ``request_id``** as a tag (the ``X-Request-Id`` of the response and
  of the JSON log lines), read from the request's context when the event is built.
- **Nothing personal or secret**: the SDK's default (``send_default_pii`` unset: no user, IP,
  cookies), no local variables (a credential in a variable with a neutral name, such as a refresh token in
  ``raw``, could not be recognised), the request reduced to its method, its path (no query
  string) and a few harmless headers (no body: a refresh token travels in a field called
  ``refresh``), and ``before_send`` runs the whole event through the log scrubber
  (``huntaze.logging.scrub_value``: sensitive names, credential shapes, the literal values of the
  secrets in use), breadcrumbs included.
- **No tracing by default**: ``SENTRY_TRACES_SAMPLE_RATE`` is 0; the integration's middleware,
  signal and cache spans are off, so an instance with Sentry on does little more per request.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

from huntaze.logging import current_request_id, scrub_value

# Request headers worth having in a report; every other one (Authorization, Cookie, API keys,
# Stripe-Signature, X-Forwarded-For …) is dropped.
_KEPT_HEADERS = frozenset(
    {"accept", "accept-language", "content-length", "content-type", "host", "user-agent"}
)


def _request_reduced(request: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if "method" in request:
        kept["method"] = request["method"]
    url = request.get("url")
    if isinstance(url, str):
        parts = urlsplit(url)
        kept["url"] = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    headers = request.get("headers")
    if isinstance(headers, dict):
        kept["headers"] = {k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS}
    return kept


def event_scrub(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its request reduced and every value scrubbed like a log record."""
    if isinstance(event.get("request"), dict):
        event["request"] = _request_reduced(event["request"])
    for crumb in (event.get("breadcrumbs") or {}).get("values", []) or []:
        if isinstance(crumb, dict) and crumb.get("category") == "query":
            crumb.pop("data", None)  # SQL parameters: hashes, emails
    event.pop("user", None)
    return scrub_value(event)


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event_scrub(event)


def sentry_init(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> None:
    """Start the Sentry client for this process (see the module docstring)."""
    ignore_logger("huntaze.request")
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        # No user, IP or cookies: send_default_pii left unset is off (sentry-sdk 2.75 deprecates
        # the option for data_collection, which when unset keeps that default); the
        # tests/observability Sentry tests read the envelopes and fail on any of them.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_send_transaction=before_send,
        integrations=[
            DjangoIntegration(middleware_spans=False, signals_spans=False, cache_spans=False),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
    )


def sentry_flush(timeout: float = 2.0) -> None:
    """Send what is queued before the process moves on (the tests read the envelope)."""
    sentry_sdk.flush(timeout=timeout)
