"""Framework-level errors under ``/api/`` in the API's error shape (docs/api.md, Errors)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from huntaze.exceptions import error_response


def root(request):
    """``/`` in development: the API docs (a newcomer's first click, and the admin's "View
    site"). Production serves no page at ``/``: the product is the front end."""
    if settings.DEBUG:
        return HttpResponseRedirect("/api/docs")
    return page_not_found(request)


def api_not_found(request, *args, **kwargs):
    return error_response("not_found", _("Ressource introuvable."), 404)


def bad_request(request, exception=None):
    """Django's 400 handler: the request itself is invalid, in practice a foreign ``Host``
    (DisallowedHost). Reported as the contract's 400 code, naming the header."""
    return error_response(
        "validation_error", _("Requête invalide."), 400, {"host": [str(_("Hôte non autorisé."))]}
    )


def permission_denied(request, exception=None):
    return error_response("permission_denied", _("Accès refusé."), 403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request)
    from django.views.defaults import page_not_found as default

    return default(request, exception)


def server_error(request):
    return error_response("internal_error", _("Erreur interne."), 500)
