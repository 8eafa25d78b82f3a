"""Framework-level errors under ``/api/`` in the API's error shape (docs/api.md, Errors)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from huntaze.exceptions import DomainError, NotFound, error_response, host_not_allowed


def root(request):
    """``/`` in development: the API docs (a newcomer's first click, and the admin's "View
    site"). Production serves no page at ``/``: the product is the front end."""
    if settings.DEBUG:
        return HttpResponseRedirect("/api/docs")
    return page_not_found(request)


@cache
def _favicon() -> bytes:
    with open(finders.find("huntaze/favicon.ico"), "rb") as icon:
        return icon.read()


def favicon(request):
    """``/favicon.ico``, which every browser asks for whatever the page's ``<link rel=icon>``
    says: the icon, cached a day, rather than a 404 in every page's console."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _answer(exc: DomainError):
    return error_response(exc.code, exc.message, exc.status_code, exc.fields)


def api_not_found(request, *args, **kwargs):
    return _answer(NotFound())


def bad_request(request, exception=None):
    """Django's 400 handler: the request itself is invalid, in practice a foreign ``Host``
    (DisallowedHost). Reported as the contract's 400 code, naming the header."""
    return _answer(host_not_allowed())


def permission_denied(request, exception=None):
    return error_response("permission_denied", _("Accès refusé."), 403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request)
    from django.views.defaults import page_not_found as default

    return default(request, exception)


def server_error(request):
    return error_response("internal_error", _("Erreur interne."), 500)
