"""API-key scopes (docs/users.md, API keys).

A view opts in to API keys by declaring ``required_scopes``, a mapping from HTTP method to the
scope it needs, e.g. ``{"GET": "content:read", "POST": "content:write"}``. A view without it
(key management, password change, account deletion, checkout …) refuses API keys with 403.
Requests authenticated otherwise (Bearer, cookie, session) are not affected.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.models import ApiKey, Role
from accounts.services.mfa import totp_is_on


class ApiKeyScope(BasePermission):
    message = _("Cette clé API n'a pas la permission requise.")

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        scopes = getattr(view, "required_scopes", None) or {}
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        needed = scopes.get(method)
        return needed is not None and needed in (key.permissions or [])


class IsAdminRole(BasePermission):
    """Staff routes of the API. With ``STAFF_MFA_REQUIRED`` (production), like the admin, a
    staff member without TOTP is refused (403) until they set it up (``/api/auth/mfa/totp``)."""

    message = _("Réservé aux administrateurs.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and getattr(user, "role", None) == Role.ADMIN):
            return False
        if settings.STAFF_MFA_REQUIRED and not totp_is_on(user=user):
            # A new instance per request (DRF's get_permissions), so the message is this one's.
            self.message = _(
                "Double authentification requise pour le staff : activez-la d'abord "
                "(POST /api/auth/mfa/totp)."
            )
            return False
        return True
