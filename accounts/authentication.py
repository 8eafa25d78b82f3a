"""DRF authentication: Bearer JWT, API key, and the ``access_token`` cookie.

A bad, expired or revoked credential is 401 ``token_invalid``; no credential at all is 401
``not_authenticated`` (DRF's NotAuthenticated, via ``authenticate_header``).

An access token's user is read by one precompiled query (``huntaze.compiled``): by default the
user alone; a view may name, per HTTP method, a loader that reads the user together with what
the view shows (``authenticated_user_loaders``, e.g. the profile's subscription record and
stats), so the request makes one query instead of two. Every loader starts from
``User.objects.authenticatable()`` (not deleted, active): the rule stays here.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import ApiKey, User
from accounts.services.keys import api_key_split
from accounts.services.tokens import (
    access_token_decode,
    access_token_issued_at_us,
    issued_at_us,
)
from huntaze.compiled import UUID_SENTINEL, CompiledQuery
from huntaze.hashing import sha256_hex

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _authorization_header(request) -> str:
    """The Authorization header as text. DRF's helper encodes it to latin-1 and raised
    UnicodeEncodeError (a 500) on a header holding other characters, which a WSGI client can
    send in-process (found by tests/robustness/test_hostile_input.py); such a value is
    simply not a valid credential."""
    value = request.META.get("HTTP_AUTHORIZATION", "")
    return value if isinstance(value, str) else value.decode("latin-1")


class CredentialInvalid(exceptions.AuthenticationFailed):
    """A bad, expired or revoked token or API key: 401 ``token_invalid``.

    A DRF ``AuthenticationFailed``, not the services' ``huntaze.exceptions.TokenInvalid`` (same
    code): DRF marks the request unauthenticated only when an authentication class raises one of
    its own exceptions, and adds the ``WWW-Authenticate`` header to those."""

    default_code = "token_invalid"
    default_detail = _("Jeton invalide ou expiré.")


# The authenticated user by primary key, compiled once per process.
USER_BY_ID = CompiledQuery(lambda pk: User.objects.authenticatable().filter(pk=pk), UUID_SENTINEL)


def user_by_id(pk: uuid.UUID) -> User | None:
    """The default loader: the user alone (``User.objects.authenticatable()``), or None."""
    return USER_BY_ID.first(pk)


def _user_loader(request) -> Callable[[uuid.UUID], User | None]:
    """The view's loader for this method (``authenticated_user_loaders``), else ``user_by_id``."""
    context = getattr(request, "parser_context", None) or {}
    loaders = getattr(context.get("view"), "authenticated_user_loaders", None)
    return (loaders and loaders.get(request.method)) or user_by_id


def _user_for_access_token(token: str, request=None) -> User:
    try:
        claims = access_token_decode(token)
    except jwt.InvalidTokenError:
        raise CredentialInvalid() from None
    try:
        pk = uuid.UUID(str(claims["sub"]))
    except (ValueError, TypeError, AttributeError):
        raise CredentialInvalid() from None
    loader = user_by_id if request is None else _user_loader(request)
    user = loader(pk)
    if user is None:
        raise CredentialInvalid()
    # Tokens issued before the last password change are refused, compared at microsecond
    # resolution (see accounts.services.tokens for why not ``iat``).
    if user.password_changed_at is not None and access_token_issued_at_us(claims) < issued_at_us(
        user.password_changed_at
    ):
        raise CredentialInvalid()
    return user


def authorization_credential(request, keyword: str) -> str | None:
    """The credential of ``Authorization: <keyword> <credential>``; None for another scheme.

    A header of this scheme that is not exactly two words is a bad credential (401).
    """
    parts = _authorization_header(request).split()
    if not parts or parts[0].lower() != keyword.lower():
        return None
    if len(parts) != 2:
        raise CredentialInvalid()
    return parts[1]


class BearerAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        token = authorization_credential(request, self.keyword)
        if token is None:
            return None
        return (_user_for_access_token(token, request), None)

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``. Keys are accepted in this header only.

    ``request.auth`` is the ``ApiKey`` row, which ``accounts.permissions.ApiKeyScope`` checks
    against the view's ``required_scopes``.

    - A key in the query string (``?api_key=``, ``?apikey=``, ``?api-key=``, or any parameter
      whose value is a well-formed key) is refused with 401 ``token_invalid``: URLs end up in
      logs, proxies and browser history. (A request that a Bearer token already authenticated
      never reaches this class, so the parameter is then simply ignored.)
    - A value that is not one of our keys (no ``hz_`` namespace, or too long) is refused
      without a database lookup; otherwise the key is looked up by its SHA-256 digest (unique
      index) and the digests compared in constant time.
    - Expired and revoked keys, and keys of deleted or inactive users, are 401 at once.
    - ``last_used_at`` is written at most once a minute per key, by one conditional UPDATE.
    """

    keyword = "Api-Key"
    query_param_names = frozenset({"api_key", "apikey", "api-key"})
    max_key_length = 200

    def authenticate(self, request):
        self._refuse_query_string_key(request)
        raw = authorization_credential(request, self.keyword)
        if raw is None:
            return None
        if not raw.startswith("hz_") or len(raw) > self.max_key_length:
            raise CredentialInvalid()  # not one of our keys: no database lookup
        digest = sha256_hex(raw)
        key = ApiKey.objects.select_related("user").filter(key_hash=digest).first()
        if key is None or not hmac.compare_digest(key.key_hash, digest):
            raise CredentialInvalid()
        user = key.user
        if not key.is_usable or user.deleted_at is not None or not user.is_active:
            raise CredentialInvalid()
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= API_KEY_LAST_USED_RESOLUTION:
            # At most one write a minute per key; the conditional update keeps concurrent
            # requests from all writing.
            ApiKey.objects.filter(pk=key.pk).filter(
                Q(last_used_at__isnull=True)
                | Q(last_used_at__lte=now - API_KEY_LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
            key.last_used_at = now
        return (user, key)

    def _refuse_query_string_key(self, request) -> None:
        for name, values in request.query_params.lists():
            if name.lower() in self.query_param_names or any(
                api_key_split(value) is not None for value in values
            ):
                raise CredentialInvalid(
                    _("Les clés API ne sont acceptées que dans l'en-tête Authorization.")
                )

    def authenticate_header(self, request):
        return self.keyword


def origin_allowed(request) -> bool:
    """True when the request's Origin (or Referer) is one of ``CSRF_TRUSTED_ORIGINS``."""
    origin = request.META.get("HTTP_ORIGIN")
    if not origin:
        referer = request.META.get("HTTP_REFERER")
        if not referer:
            return False
        parts = urlsplit(referer)
        if not parts.scheme or not parts.netloc:
            return False
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin in settings.CSRF_TRUSTED_ORIGINS


class CookieAuthentication(authentication.BaseAuthentication):
    """The ``access_token`` cookie of browser front ends.

    Unsafe requests authenticated by the cookie must carry an allowed Origin/Referer, else 403
    ``permission_denied`` (CSRF protection; SameSite=Lax alone does not cover every case).
    """

    def authenticate(self, request):
        token = request.COOKIES.get(ACCESS_COOKIE)
        if not token:
            return None
        user = _user_for_access_token(token, request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not origin_allowed(request):
            raise exceptions.PermissionDenied(_("Origine de la requête non autorisée."))
        return (user, None)


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session (admin and allauth pages), with DRF's CSRF check.

    DRF's refusal message is an untranslated f-string ("CSRF Failed: …"); ours is translated
    and does not echo Django's internal reason.
    """

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(_("Vérification CSRF échouée.")) from None
