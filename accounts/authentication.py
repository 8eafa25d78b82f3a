"""DRF authentication: Bearer JWT, API key, and the ``access_token`` cookie.

A bad, expired or revoked credential is 401 ``token_invalid``; no credential at all is 401
``not_authenticated`` (DRF's NotAuthenticated, via ``authenticate_header``).

Each class reads the credential's user with one query, ``read_user``: by default
``accounts.selectors.user_by_id`` (the user alone). A view whose answer is the user with more
(the profile: its subscription and stats) declares ``authentication_classes =
authentication_reading(<its read>)``: the same classes, reading the user with the view's one
query, so the credential's check and the view's data are one round trip and every credential
gives the view the same user. Every read starts from ``accounts.selectors.authenticated_user_sql``
(not deleted, active): the rule stays in one place.
"""

from __future__ import annotations

import functools
import hmac
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.settings import api_settings

from accounts.models import ApiKey, User
from accounts.selectors import user_by_id
from accounts.services.keys import api_key_split
from accounts.services.tokens import (
    access_token_decode,
    access_token_issued_at_us,
    issued_at_us,
)
from huntaze.exceptions import TokenInvalid
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
    default_detail = TokenInvalid.default_message  # one message for both


UserRead = Callable[[uuid.UUID], User | None]


class ReadsUser:
    """``read_user(pk)``: the one query that reads the credential's user (None for a user that
    may not authenticate). ``None`` for the class's own way (an API key reads its user with the
    key, a session as Django loaded it); ``authentication_reading`` passes a view's read."""

    default_read_user: UserRead | None = None

    def __init__(self, read_user: UserRead | None = None) -> None:
        self.read_user = read_user or self.default_read_user


def _user_for_access_token(token: str, read_user: UserRead) -> User:
    try:
        claims = access_token_decode(token)
    except jwt.InvalidTokenError:
        raise CredentialInvalid() from None
    try:
        pk = uuid.UUID(str(claims["sub"]))
    except (ValueError, TypeError, AttributeError):
        raise CredentialInvalid() from None
    user = read_user(pk)
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


class BearerAuthentication(ReadsUser, authentication.BaseAuthentication):
    keyword = "Bearer"
    default_read_user = staticmethod(user_by_id)

    def authenticate(self, request):
        token = authorization_credential(request, self.keyword)
        if token is None:
            return None
        return (_user_for_access_token(token, self.read_user), None)

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthentication(ReadsUser, authentication.BaseAuthentication):
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
        if self.read_user is not None:  # the view's read of the user (a second query)
            user = self.read_user(user.pk)
            if user is None:
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


class CookieAuthentication(ReadsUser, authentication.BaseAuthentication):
    """The ``access_token`` cookie of browser front ends.

    Unsafe requests authenticated by the cookie must carry an allowed Origin/Referer, else 403
    ``permission_denied`` (CSRF protection; SameSite=Lax alone does not cover every case).
    """

    default_read_user = staticmethod(user_by_id)

    def authenticate(self, request):
        token = request.COOKIES.get(ACCESS_COOKIE)
        if not token:
            return None
        user = _user_for_access_token(token, self.read_user)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not origin_allowed(request):
            raise exceptions.PermissionDenied(_("Origine de la requête non autorisée."))
        return (user, None)


class SessionAuthentication(ReadsUser, authentication.SessionAuthentication):
    """Django's session (admin and allauth pages), with DRF's CSRF check.

    DRF's refusal message is an untranslated f-string ("CSRF Failed: …"); ours is translated
    and does not echo Django's internal reason.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or self.read_user is None:
            return result
        user = self.read_user(result[0].pk)  # the view's read of the user (one more query)
        if user is None:
            return None  # no longer a user a credential may authenticate
        return (user, result[1])

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(_("Vérification CSRF échouée.")) from None


def authentication_reading(read_user: UserRead) -> list[Callable[[], ReadsUser]]:
    """The API's authentication classes (``DEFAULT_AUTHENTICATION_CLASSES``) for a view's
    ``authentication_classes``, each reading the credential's user with ``read_user``: the one
    query of a view whose answer is the user with more. ``read_user(pk)`` starts from
    ``accounts.selectors.authenticated_user_sql``. A Bearer or cookie token is then that one
    query; an API key or a session is its own lookup, then ``read_user``. (DRF instantiates
    each entry without arguments: these bind the read.)"""
    classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    for cls in classes:
        if not issubclass(cls, ReadsUser):
            raise ImproperlyConfigured(
                f"{cls.__name__} (DEFAULT_AUTHENTICATION_CLASSES) must read its user through"
                " accounts.authentication.ReadsUser, or a view's read of the user is skipped"
            )
    return [functools.partial(cls, read_user=read_user) for cls in classes]
