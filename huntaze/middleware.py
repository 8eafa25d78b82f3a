"""Request plumbing that must run before Django's own middleware."""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import LazyObject, empty

from huntaze import health, l10n, metrics
from huntaze.exceptions import (
    PayloadTooLarge,
    ServiceUnavailable,
    database_unavailable,
    error_response,
)
from huntaze.logging import reset_request_id, set_request_id

logger = logging.getLogger("huntaze.errors")
request_logger = logging.getLogger("huntaze.request")

HEALTH_PATHS = {
    "/api/health": health.ready,
    "/api/health/": health.ready,
    "/api/health/live": health.live,
    "/api/health/live/": health.live,
    # Token-protected (huntaze/metrics.py); answered here for the same reasons as the probes: a
    # scraper on the private network uses the instance address over plain HTTP.
    "/metrics": metrics.metrics_view,
}


class HealthCheckMiddleware:
    """Answer the health probes (and ``/metrics``) first: no host check, no HTTPS redirect, no
    session, not counted in the request log or the request metrics."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = HEALTH_PATHS.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)


class ApiPathMiddleware:
    """Make a trailing slash optional under ``/api/``: ``/api/content/`` is ``/api/content``.

    Routing on the slash-less path means no redirect is ever sent (a redirected POST loses its
    body), and ``APPEND_SLASH`` stays off.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/"):
            if len(path) > 5 and path.endswith("/"):
                request.path_info = path.rstrip("/") or "/"
            # DRF parsers read the stream directly, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE
            # check on request.body: refuse oversized bodies before anything reads them.
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                too_large = PayloadTooLarge()
                return error_response(too_large.code, too_large.message, too_large.status_code)
            response = self.get_response(request)
            # API answers are per user (profile, export, tokens): never stored by a cache.
            if not response.has_header("Cache-Control"):
                response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A lost database outside DRF views (admin, allauth pages) is a 503, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            unavailable = ServiceUnavailable()
            response = error_response(
                unavailable.code, unavailable.message, unavailable.status_code
            )
            for name, value in database_unavailable(exception).items():
                response[name] = value
            return response
        return None


# An incoming X-Request-Id (from the load balancer or the client) is kept when it is a short
# token of safe characters; anything else is replaced, so a log line cannot be forged or bloated.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


class RequestLogMiddleware:
    """One JSON log line per request, and an ``X-Request-Id`` on every response.

    Sits right after ``HealthCheckMiddleware``: load-balancer probes are answered before it and
    are not logged (they would be most of the lines; a failing probe logs its own warning). The
    line carries ``request_id``, ``user_id``, ``method``, ``path`` (never the query string, which
    may carry a token), ``status`` and ``duration_ms``; its level is INFO, WARNING for a 4xx,
    ERROR for a 5xx. The request id is also put on ``request.request_id`` and on every other log
    record written while the request is served (``huntaze.logging.JsonFormatter``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        request.request_id = request_id
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-Id"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            metrics.request_observe(request, status, elapsed)
            level = (
                logging.ERROR
                if status >= 500
                else logging.WARNING
                if status >= 400
                else logging.INFO
            )
            if request_logger.isEnabledFor(level):  # the line is built only when written
                method = (request.method or "")[:16]
                path = request.path[:512]
                request_logger.log(
                    level,
                    "%s %s %s",
                    method,
                    path,
                    status,
                    extra={
                        "request_id": request_id,
                        "user_id": _user_id(request),
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
            reset_request_id(token)


def _user_id(request) -> str | None:
    """The authenticated user's id, without loading a user nobody asked for.

    Django's ``request.user`` is lazy: evaluating it for an anonymous request would read the
    session (a query when a session cookie is sent). DRF's authentication replaces it with the
    real user on the Django request (``Request.user`` setter), so an API request's user is
    already there; a lazy user that was never evaluated means nobody authenticated.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    if issubclass(type(user), LazyObject):  # type(): isinstance would evaluate it
        if user._wrapped is empty:
            return None
        user = user._wrapped
    if not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


def sessionless_api_request(request) -> bool:
    """An API request that carries no Django session cookie.

    Such a request can have no session (admin, allauth pages), so nothing in it reads or writes
    Django's messages: the API authenticates with a Bearer token, an API key or the
    ``access_token`` cookie, and a browser holding an admin session still sends its cookie (the
    request then takes the whole stack).
    """
    return request.path_info.startswith("/api/") and (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's messages, skipped for an API request without a session cookie.

    For such a request Django's middleware only built a message storage (a cookie signer and a
    session store: docs/performance-notes.md has the cost) that nothing used: API views add no messages, and an unused storage
    writes nothing to the response.
    """

    def __call__(self, request):
        if sessionless_api_request(request):
            return self.get_response(request)
        return super().__call__(request)


# The language negotiated for a (language cookie, Accept-Language) pair: the same few pairs come
# back on every request. Bounded (the header is the client's), and emptied when a setting that
# changes the answer changes (tests).
_negotiated: dict[tuple[str | None, str], str] = {}
_NEGOTIATED_MAX = 512


def _negotiated_clear(*, setting, **kwargs) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "LANGUAGE_COOKIE_NAME"):
        _negotiated.clear()


setting_changed.connect(_negotiated_clear)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's ``LocaleMiddleware`` with the same answers at a third of the cost.

    - Without ``i18n_patterns`` (our URLs have none) the language in the path plays no part:
      it is not looked for (Django did, twice per request).
    - The negotiation (language cookie, then ``Accept-Language``, then ``LANGUAGE_CODE``) is
      Django's own ``get_language_from_request``, remembered per (cookie, header) pair.
    With ``i18n_patterns`` it is Django's middleware unchanged.
    """

    def process_request(self, request):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_request(request)
        key = (
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
            request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
        )
        language = _negotiated.get(key)
        if language is None:
            language = translation.get_language_from_request(request)
            if len(_negotiated) >= _NEGOTIATED_MAX:
                _negotiated.clear()
            _negotiated[key] = language
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class AdminTimeZoneMiddleware:
    """Admin pages (``/admin/``, the Beta dashboard included) in ``ADMIN_TIME_ZONE``.

    Only the display changes: ``TIME_ZONE`` stays UTC for everything else (the API writes UTC
    ISO 8601, the database and the logs are UTC). The zone is active while the view runs and
    while its template renders, so lists, forms, date filters and the dashboard's days all read
    in the same zone, the one the page header names (``huntaze.l10n``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(_admin_prefix()):
            return self.get_response(request)
        with l10n.display_time_zone():
            return self.get_response(request)


@functools.cache
def _admin_prefix() -> str:
    from django.urls import reverse

    return reverse("admin:index")
