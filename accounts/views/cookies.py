"""The auth cookies of browser front ends (docs/auth.md, Browser cookies and CSRF).

``access_token`` (path ``/``, 15 minutes) and ``refresh_token`` (path ``/api/auth``, until the
family expires), both httpOnly, SameSite=Lax and Secure when ``AUTH_COOKIE_SECURE``.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from accounts.authentication import ACCESS_COOKIE, REFRESH_COOKIE, origin_allowed
from accounts.services.tokens import TokenPair
from huntaze.exceptions import PermissionDeniedError

REFRESH_COOKIE_PATH = "/api/auth"


class OriginNotAllowed(PermissionDeniedError):
    """The refresh_token cookie sent without an allowed Origin (or Referer)."""

    default_message = _("Origine de la requête non autorisée.")


def set_auth_cookies(response: Response, tokens: TokenPair) -> None:
    common = {"httponly": True, "samesite": "Lax", "secure": settings.AUTH_COOKIE_SECURE}
    response.set_cookie(
        ACCESS_COOKIE,
        tokens.access,
        max_age=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path="/",
        **common,
    )
    refresh_age = max(0, int((tokens.refresh_expires_at - timezone.now()).total_seconds()))
    response.set_cookie(
        REFRESH_COOKIE, tokens.refresh, max_age=refresh_age, path=REFRESH_COOKIE_PATH, **common
    )


def clear_auth_cookies(response: Response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/", samesite="Lax")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, samesite="Lax")


def refresh_from_request(request, body_value: object) -> object:
    """The refresh token from the body (as sent), else from the cookie (CSRF-checked)."""
    if body_value:
        return body_value
    cookie = request.COOKIES.get(REFRESH_COOKIE)
    if not cookie:
        return None
    if not origin_allowed(request):
        raise OriginNotAllowed()
    return cookie
