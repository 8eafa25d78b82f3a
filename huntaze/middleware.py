"""Request plumbing that must run before Django's own middleware."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from huntaze import health
from huntaze.exceptions import error_response

logger = logging.getLogger("huntaze.errors")

HEALTH_PATHS = {
    "/api/health": health.ready,
    "/api/health/": health.ready,
    "/api/health/live": health.live,
    "/api/health/live/": health.live,
}


class HealthCheckMiddleware:
    """Answer the health probes first: no host check, no HTTPS redirect, no session."""

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
                return error_response(
                    "payload_too_large", _("Corps de requête trop volumineux."), 413
                )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A lost database outside DRF views (admin, allauth pages) is a 503, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", type(exception).__name__)
            return error_response(
                "service_unavailable", _("Service temporairement indisponible."), 503
            )
        return None
