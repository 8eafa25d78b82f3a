"""One domain error base and one mapping to HTTP (docs/api.md, Errors).

Every error under ``/api/`` has the shape::

    {"error": {"code": "validation_error", "message": "…", "fields": {"email": ["…"]}}}

``DomainError`` subclasses only change ``code``, ``status_code`` and the default message.
The DRF exception handler below turns them, DRF's own exceptions, ``IntegrityError`` (409) and
database outages (503) into that shape; anything else is logged and becomes a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger("huntaze.errors")


class DomainError(Exception):
    code = "error"
    status_code = 400
    default_message = _("La requête n'a pas pu être traitée.")

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None):
        self.message = message or self.default_message
        self.fields = fields
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    code = "validation_error"
    status_code = 400
    default_message = _("Données invalides.")


def host_not_allowed() -> ValidationFailed:
    """A ``Host`` not in ALLOWED_HOSTS (Django's DisallowedHost): a 400 naming the header."""
    return ValidationFailed(_("Requête invalide."), fields={"host": [str(_("Hôte non autorisé."))]})


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status_code = 401
    default_message = _("Email ou mot de passe incorrect.")


class TokenInvalid(DomainError):
    code = "token_invalid"
    status_code = 401
    default_message = _("Jeton invalide ou expiré.")


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    status_code = 403
    default_message = _("Vous n'avez pas la permission d'effectuer cette action.")


class InviteRequired(DomainError):
    code = "invite_required"
    status_code = 403
    default_message = _("Bêta fermée - invitation requise")


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = _("Ressource introuvable.")


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
    default_message = _("Conflit avec l'état actuel de la ressource.")


class EmailTaken(Conflict):
    """Another account holds the address (``accounts.selectors.email_is_taken``)."""

    default_message = _("Cette adresse email est déjà utilisée.")


class PayloadTooLarge(DomainError):
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (huntaze.middleware refuses it unread)."""

    code = "payload_too_large"
    status_code = 413
    default_message = _("Corps de requête trop volumineux.")


class QuotaExceeded(DomainError):
    code = "quota_exceeded"
    status_code = 429
    default_message = _("Quota mensuel atteint.")


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status_code = 503
    default_message = _("Service temporairement indisponible.")


def _printable(text: Any) -> str:
    """``text`` made encodable as UTF-8: DRF's messages echo the client's value ("« \\ud800 »
    n'est pas un choix valide"), and a lone surrogate there made the JSON renderer fail after
    the view, a 500 (found by tests/robustness/test_hostile_input.py)."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def error_body(code: str, message: Any, fields: dict | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": _printable(message)}
    if fields is not None:
        body["fields"] = {
            _printable(name): [_printable(m) for m in messages] for name, messages in fields.items()
        }
    return {"error": body}


def error_response(
    code: str, message: Any, status: int, fields: dict | None = None
) -> JsonResponse:
    """A plain Django JSON error (for middleware and non-DRF views)."""
    return JsonResponse(error_body(code, message, fields), status=status)


def _flatten_fields(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten_fields(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                msgs = []
                for item in value:
                    if isinstance(item, dict):
                        for sub, sub_msgs in _flatten_fields(item).items():
                            out[f"{key}.{sub}"] = sub_msgs
                    else:
                        msgs.append(str(item))
                if msgs:
                    out[key] = msgs
            else:
                out[key] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(d) for d in detail]}
    return {"non_field_errors": [str(detail)]}


_DRF_CODES: dict[type, str] = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "token_invalid",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "throttled",
    drf.ParseError: "parse_error",
}


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view ends here.

    Each step answers the exceptions it knows and passes on the others; what no step knows is
    logged with its traceback and becomes a bare 500 ``internal_error``.
    """
    response = _known_error_response(exc)
    if response is None:
        logger.exception("unhandled error in API view")
        response = _internal_error()
    return response


def _known_error_response(exc: Exception) -> Response | None:
    exc = _as_drf_exception(exc)
    for step in (_domain_error, _bad_request, _api_exception, _database_error):
        response = step(exc)
        if response is not None:
            return response
    return None


def error_response_for(exc: Exception) -> Response:
    """The answer ``exception_handler`` gives ``exc``, for use outside a view (a streamed
    answer's ``error`` event carries its body). An unexpected error is not logged here: the
    caller logged it where it was caught, with its traceback."""
    return _known_error_response(exc) or _internal_error()


def _as_drf_exception(exc: Exception) -> Exception:
    """Django's own 404 and 403 raised in a view: a 404 is ours (one message for every 404,
    e.g. DRF's for an unknown ``?format=``), a 403 DRF's."""
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return drf.PermissionDenied()
    return exc


def _domain_error(exc: Exception) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    return None


def _invalid(message: Any, fields: dict[str, list[str]]) -> Response:
    return Response(error_body("validation_error", message, fields), status=400)


def _bad_request(exc: Exception) -> Response | None:
    """What the client sent is at fault: 413, or 400 ``validation_error`` with ``fields``."""
    if isinstance(exc, RequestDataTooBig):  # a SuspiciousOperation: first
        return _domain_error(PayloadTooLarge())
    if isinstance(exc, SuspiciousOperation):
        return _invalid(_("Requête invalide."), {"non_field_errors": [str(_("Requête invalide."))]})
    if isinstance(exc, (drf.ParseError, RecursionError)):
        # Malformed or absurdly nested JSON (json.loads raises RecursionError, not ValueError).
        return _invalid(_("Données invalides."), {"body": [str(_("JSON invalide."))]})
    if isinstance(exc, drf.ValidationError):
        return _invalid(_("Données invalides."), _flatten_fields(exc.detail))
    if isinstance(exc, DataError):
        # Values PostgreSQL refuses (a NUL byte in text, a number out of range) that slipped
        # past validation: the client's input, so a 400 — never the SQL text.
        return _invalid(
            _("Données invalides."),
            {"non_field_errors": [str(_("Valeur refusée par la base de données."))]},
        )
    return None


def _drf_code(exc: drf.APIException) -> str:
    code = _DRF_CODES.get(type(exc))
    if code is None:
        code = next((mapped for cls, mapped in _DRF_CODES.items() if isinstance(exc, cls)), None)
    return code or getattr(exc, "default_code", "error")


def _api_exception(exc: Exception) -> Response | None:
    """DRF's own exceptions (401, 403, 404, 405, 406, 415, 429 …) with our codes."""
    if not isinstance(exc, drf.APIException):
        return None
    headers: dict[str, str] = {}
    if isinstance(exc, drf.Throttled):
        wait = max(int(exc.wait or 1), 1)
        headers["Retry-After"] = str(wait)
        message = _("Trop de requêtes. Réessayez dans %(seconds)s secondes.") % {"seconds": wait}
    elif isinstance(exc.detail, (list, dict)):
        message = exc.default_detail
    else:
        message = exc.detail
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    return Response(error_body(_drf_code(exc), message), status=exc.status_code, headers=headers)


# What PostgreSQL answers when a web request's bound is reached (huntaze/settings/base.py):
# SQLSTATE → the bound.
_BOUNDS = {"57014": "statement_timeout", "55P03": "lock_timeout"}


def database_bound(exc: BaseException) -> str | None:
    """``statement_timeout`` or ``lock_timeout`` when that bound ended the statement behind
    ``exc`` (a Django database error), else ``None``."""
    return _BOUNDS.get(getattr(exc.__cause__, "sqlstate", None) or "")


def database_unavailable(exc: Exception) -> dict[str, str]:
    """Log a database error that makes a request a 503 and return the answer's headers.

    A statement or a lock wait past its bound: retry in a second, the lock is usually gone by
    then (``huntaze_db_bounds_reached_total`` counts them, huntaze/metrics.py). The database out
    of reach (connection refused or lost, the pool's wait over): retry in a few seconds.
    """
    bound = database_bound(exc)
    if bound is None:
        logger.warning("database unavailable: %s", type(exc).__name__)
        return {"Retry-After": "5"}
    logger.warning("database %s reached: the request gave up", bound)
    return {"Retry-After": "1"}


def _database_error(exc: Exception) -> Response | None:
    """A constraint is 409; the database out of reach, or a statement or lock wait past its
    bound, is 503 with Retry-After; any other database error 500."""
    if isinstance(exc, IntegrityError):
        return Response(error_body("conflict", Conflict.default_message), status=409)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return Response(
            error_body("service_unavailable", ServiceUnavailable.default_message),
            status=503,
            headers=database_unavailable(exc),
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return _internal_error()
    return None


def _internal_error() -> Response:
    return Response(error_body("internal_error", _("Erreur interne.")), status=500)
