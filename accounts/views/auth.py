"""Auth endpoints under /api/auth (docs/api.md, Auth).

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

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers.auth import (
    AuthOutput,
    PasswordChangeInput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    RefreshInput,
    SignInInput,
    SignOutInput,
    TokenPairOutput,
    UserOutput,
)
from accounts.serializers.mfa import MfaRequiredOutput
from accounts.services import auth as services
from accounts.services import mfa, tokens
from accounts.views.cookies import (
    OriginNotAllowed,
    clear_auth_cookies,
    refresh_from_request,
    set_auth_cookies,
)
from huntaze import throttles
from huntaze.emails import normalize_email
from huntaze.exceptions import InvalidCredentials
from huntaze.schema import VALIDATION, declared_example, error_response
from huntaze.throttles import PER_IP, RateLimit

E400 = error_response("validation_error (with fields)")
E401_CREDENTIALS = error_response("invalid_credentials")
E401_TOKEN = error_response("token_invalid")
E401_AUTH = error_response("not_authenticated or token_invalid")
E403_ORIGIN = error_response(
    "permission_denied: the refresh_token cookie was used without an allowed Origin",
    ("The refresh_token cookie sent without an allowed Origin", OriginNotAllowed),
)
E429 = error_response("throttled (Retry-After header)")


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


class SignInView(PublicAuthView):
    """Email and password; one 401 body for every failure. Rate limited per IP and, on
    failures, per email."""

    rate_limits = [RateLimit("signin_ip", per=PER_IP)]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=SignInInput,
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="SignInOutput",
                    serializers=[AuthOutput, MfaRequiredOutput],
                    resource_type_field_name=None,
                ),
                description="Signed in, or (two-factor on) the challenge of the second step.",
            ),
            400: E400,
            401: E401_CREDENTIALS,
            429: E429,
        },
        summary="Sign in with email and password",
        description=(
            "Answers the user and a token pair and sets the auth cookies. A wrong email or "
            "password is one 401 `invalid_credentials` (the answer does not say which). "
            "Rate limited per IP, and per email on failures: after 5 failed attempts in 5 "
            "minutes even the right password gets 429 until the window ends.\n\n"
            "When the user has turned two-factor on, the right password answers "
            '`{"mfa_required": true, "mfa_token": "…", "methods": ["totp", "recovery_code"]}` '
            "instead, with no token and no cookie: send the `mfa_token` and a code to "
            "`POST /api/auth/mfa/verify` within 5 minutes. A wrong password answers the same "
            "401 as for any account."
        ),
        examples=[
            OpenApiExample("Signed in", value=declared_example(AuthOutput), response_only=True),
            OpenApiExample(
                "Email and password",
                value={"email": "sam@example.com", "password": "correct horse battery"},
                request_only=True,
            ),
            OpenApiExample(
                "Two-factor on: the second step",
                value={
                    "mfa_required": True,
                    "mfa_token": "mfa_3q2xWm0l9h1bYc…",
                    "methods": ["totp", "recovery_code"],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        data = SignInInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = normalize_email(data.validated_data["email"])
        # Failures per email: refuse once the bucket is full, count only failures.
        throttles.limit_check(throttles.SIGNIN_EMAIL_FAILURES, email)
        try:
            user = services.user_signin(
                request=request._request, email=email, password=data.validated_data["password"]
            )
        except InvalidCredentials:
            throttles.limit_hit(throttles.SIGNIN_EMAIL_FAILURES, email)
            raise
        if not mfa.signin_complete_unless_totp(user=user):
            # No token and no cookie before the second step (POST /api/auth/mfa/verify).
            return Response(
                {
                    "mfa_required": True,
                    "mfa_token": mfa.mfa_challenge_start(user=user),
                    "methods": list(mfa.METHODS),
                }
            )
        pair = tokens.auth_tokens_issue(user=user)
        response = Response(
            {"user": UserOutput(user).data, "access": pair.access, "refresh": pair.refresh}
        )
        set_auth_cookies(response, pair)
        return response


class RefreshView(PublicAuthView):
    """Spend a refresh token (body, or the cookie with an allowed Origin) for a new pair.

    A token that was already spent revokes its whole family (401 token_invalid)."""

    rate_limits = [RateLimit("refresh_ip", per=PER_IP)]

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
        summary="Get a new token pair with a refresh token",
        description=(
            'Send `{"refresh": "…"}`, or nothing with the `refresh_token` cookie (then '
            "an allowed `Origin` header is required). Answers a new `{access, refresh}` and "
            "sets the cookies; the refresh token sent is spent. Sending a refresh token that "
            "was already spent revokes the whole session (401 `token_invalid`): send one "
            "refresh at a time. A session lasts 30 days from sign-in."
        ),
    )
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        raw = refresh_from_request(request, data.validated_data.get("refresh"))
        _user, pair = tokens.refresh_token_rotate(raw=raw or "")
        response = Response({"access": pair.access, "refresh": pair.refresh})
        set_auth_cookies(response, pair)
        return response


class SignOutView(PublicAuthView):
    """Revoke the refresh token's family and clear the cookies. Idempotent: 204 for any token
    string, known or not; a ``refresh`` that is not a sane string is a 400."""

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=SignOutInput,
        responses={204: None, 400: E400, 403: E403_ORIGIN},
        summary="Sign out",
        description=(
            "Revokes the session of the refresh token sent (body or cookie) and clears the "
            "auth cookies. Always 204, also for an unknown or spent token. Access tokens "
            "already issued stay valid until they expire (15 minutes)."
        ),
    )
    def post(self, request):
        data = SignOutInput(data=request.data)
        data.is_valid(raise_exception=True)
        raw = refresh_from_request(request, data.validated_data.get("refresh"))
        tokens.refresh_token_revoke(raw=raw)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class MeView(NoStoreMixin, APIView):
    """The authenticated user (Bearer, cookie, session or an API key with profile:read)."""

    required_scopes = {"GET": "profile:read"}

    @extend_schema(
        tags=["auth"],
        responses={200: UserOutput, 401: E401_AUTH},
        summary="The signed-in user",
        description=(
            "The user of the credentials sent: `{id, email, name, avatar, role, subscription, "
            "created_at}`. With an API key, needs the `profile:read` scope."
        ),
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
        responses={204: None, 400: E400, 401: E401_AUTH, 403: error_response("permission_denied")},
        summary="Change the password",
        description=(
            "Needs `current_password` (a wrong one is a 400 on that field) and a "
            "`new_password` that passes the password rules. Ends every session of the user: "
            "refresh tokens are revoked, earlier access tokens refused, the cookies cleared; "
            "sign in again. Not possible with an API key (403)."
        ),
    )
    def post(self, request):
        data = PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(user=request.user, **data.validated_data)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class PasswordResetView(PublicAuthView):
    """Email a reset link to FRONTEND_URL/reset-password?token=… when the account exists.
    Always 202."""

    rate_limits = [RateLimit("password_reset_ip", per=PER_IP)]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=PasswordResetInput,
        responses={202: None, 400: E400, 429: E429},
        summary="Email a password reset link",
        description=(
            "Sends an email with a link to `<front end>/reset-password?token=…` when a live "
            "account has this email. Always 202, whether or not the email exists (the answer "
            "never tells). Rate limited per IP and per email (429)."
        ),
    )
    def post(self, request):
        data = PasswordResetInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = normalize_email(data.validated_data["email"])
        throttles.limit_enforce(throttles.PASSWORD_RESET_EMAIL, email)
        services.password_reset_request(email=email)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAuthView):
    """Set a new password with the token of the reset email (single use)."""

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=PasswordResetConfirmInput,
        responses={
            204: None,
            400: error_response(
                "validation_error (with fields)",
                VALIDATION,
                ("The token is malformed, used or expired", services.reset_token_invalid),
            ),
        },
        summary="Set a new password with a reset token",
        description=(
            "`token` is the `token` parameter of the reset link; it works once and expires. "
            "An invalid or used token is a 400 on `token`, a weak password a 400 on "
            "`new_password`. Ends every session of the user."
        ),
    )
    def post(self, request):
        data = PasswordResetConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
