"""Auth endpoints under /api/auth (SPEC section 4.1).

Cookies for browser front ends: sign-up, sign-in and refresh set ``access_token`` (path ``/``,
15 minutes) and ``refresh_token`` (path ``/api/auth``, until the family expires), both
httpOnly, SameSite=Lax and Secure when ``AUTH_COOKIE_SECURE``; sign-out (and a password
change, which voids both tokens) clears them. Refresh and sign-out take the token from the
body or, failing that, from the cookie; a token taken from the cookie needs an allowed
``Origin``/``Referer`` (``CSRF_TRUSTED_ORIGINS``), else 403 ``permission_denied``. Every
response here carries ``Cache-Control: no-store``.

The public endpoints run no authentication class at all: a stale ``Authorization`` header or
cookie must not turn a sign-in into a 401.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services_auth, throttles
from accounts.authentication import ACCESS_COOKIE, REFRESH_COOKIE, origin_allowed
from accounts.serializers import (
    AuthOutput,
    ErrorOutput,
    PasswordChangeInput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    RefreshInput,
    SignInInput,
    SignOutInput,
    SignUpInput,
    TokenPairOutput,
    UserOutput,
)
from accounts.services_auth import TokenPair
from huntaze.exceptions import InvalidCredentials, PermissionDeniedError

REFRESH_COOKIE_PATH = "/api/auth"


def _err(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorOutput, description=description)


E400 = _err("validation_error (with fields)")
E401_CREDENTIALS = _err("invalid_credentials")
E401_TOKEN = _err("token_invalid")
E401_AUTH = _err("not_authenticated or token_invalid")
E403_ORIGIN = _err("permission_denied: the refresh_token cookie was used without an allowed Origin")
E429 = _err("throttled (Retry-After header)")


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


def _refresh_from(request, body_value: str | None) -> str | None:
    """The refresh token from the body, else from the cookie (CSRF-checked)."""
    if body_value:
        return body_value
    cookie = request.COOKIES.get(REFRESH_COOKIE)
    if not cookie:
        return None
    if not origin_allowed(request):
        raise PermissionDeniedError(_("Origine de la requête non autorisée."))
    return cookie


class NoStoreMixin:
    """``Cache-Control: no-store`` on every response, errors included."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class PublicAuthView(NoStoreMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class SignUpView(PublicAuthView):
    """Create an account with an invite code; answers the user and a token pair (+ cookies)."""

    throttle_classes = [throttles.SignUpIPThrottle]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=SignUpInput,
        responses={
            201: AuthOutput,
            400: E400,
            403: _err("invite_required"),
            409: _err("conflict: email already registered"),
            429: E429,
        },
        summary="Sign up with an invite code",
    )
    def post(self, request):
        data = SignUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services_auth.user_signup(**data.validated_data)
        tokens = services_auth.auth_tokens_issue(user=user)
        response = Response(
            {"user": UserOutput(user).data, "access": tokens.access, "refresh": tokens.refresh},
            status=status.HTTP_201_CREATED,
        )
        set_auth_cookies(response, tokens)
        return response


class SignInView(PublicAuthView):
    """Email and password; one 401 body for every failure. Rate limited per IP and, on
    failures, per email."""

    throttle_classes = [throttles.SignInIPThrottle]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=SignInInput,
        responses={200: AuthOutput, 400: E400, 401: E401_CREDENTIALS, 429: E429},
        summary="Sign in with email and password",
    )
    def post(self, request):
        data = SignInInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = throttles.normalize_email(data.validated_data["email"])
        # Failures per email: refuse once the bucket is full, count only failures.
        throttles.limit_check(throttles.SIGNIN_EMAIL_FAILURES, email)
        try:
            user = services_auth.user_signin(
                request=request._request, email=email, password=data.validated_data["password"]
            )
        except InvalidCredentials:
            throttles.limit_hit(throttles.SIGNIN_EMAIL_FAILURES, email)
            raise
        tokens = services_auth.auth_tokens_issue(user=user)
        response = Response(
            {"user": UserOutput(user).data, "access": tokens.access, "refresh": tokens.refresh}
        )
        set_auth_cookies(response, tokens)
        return response


class RefreshView(PublicAuthView):
    """Spend a refresh token (body, or the cookie with an allowed Origin) for a new pair.

    A token that was already spent revokes its whole family (401 token_invalid)."""

    throttle_classes = [throttles.RefreshIPThrottle]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=RefreshInput,
        responses={
            200: TokenPairOutput,
            400: E400,
            401: E401_TOKEN,
            403: E403_ORIGIN,
            429: E429,
        },
        summary="Rotate a refresh token (body or refresh_token cookie)",
    )
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        raw = _refresh_from(request, data.validated_data.get("refresh"))
        _user, tokens = services_auth.refresh_token_rotate(raw=raw or "")
        response = Response({"access": tokens.access, "refresh": tokens.refresh})
        set_auth_cookies(response, tokens)
        return response


class SignOutView(PublicAuthView):
    """Revoke the refresh token's family and clear the cookies. Idempotent: always 204."""

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=SignOutInput,
        responses={204: None, 400: E400, 403: E403_ORIGIN},
        summary="Sign out: revoke the refresh token's family and clear the cookies",
    )
    def post(self, request):
        data = SignOutInput(data=request.data)
        data.is_valid(raise_exception=True)
        raw = _refresh_from(request, data.validated_data.get("refresh"))
        services_auth.refresh_token_revoke(raw=raw)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class MeView(NoStoreMixin, APIView):
    """The authenticated user (Bearer, cookie, session or an API key with profile:read)."""

    required_scopes = {"GET": "profile:read"}

    @extend_schema(
        tags=["auth"], responses={200: UserOutput, 401: E401_AUTH}, summary="The signed-in user"
    )
    def get(self, request):
        return Response(UserOutput(request.user).data)


class PasswordChangeView(NoStoreMixin, APIView):
    """Change the password. Earlier access tokens and every refresh token stop working;
    the auth cookies are cleared. API keys are refused."""

    # Default permissions, no required_scopes: API keys are refused (403) by ApiKeyScope.

    @extend_schema(
        tags=["auth"],
        request=PasswordChangeInput,
        responses={204: None, 400: E400, 401: E401_AUTH, 403: _err("permission_denied")},
        summary="Change the password; every refresh token of the user is revoked",
    )
    def post(self, request):
        data = PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services_auth.password_change(user=request.user, **data.validated_data)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class PasswordResetView(PublicAuthView):
    """Email a reset link to FRONTEND_URL/reset-password?token=… when the account exists.
    Always 202."""

    throttle_classes = [throttles.PasswordResetIPThrottle]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=PasswordResetInput,
        responses={202: None, 400: E400, 429: E429},
        summary="Email a password reset link (202 whether or not the email exists)",
    )
    def post(self, request):
        data = PasswordResetInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = throttles.normalize_email(data.validated_data["email"])
        throttles.limit_enforce(throttles.PASSWORD_RESET_EMAIL, email)
        services_auth.password_reset_request(request=request._request, email=email)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAuthView):
    """Set a new password with the token of the reset email (single use)."""

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=PasswordResetConfirmInput,
        responses={204: None, 400: E400},
        summary="Set a new password with the token of the reset email",
    )
    def post(self, request):
        data = PasswordResetConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        services_auth.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
