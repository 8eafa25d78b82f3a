"""Two-factor endpoints under /api/auth/mfa (docs/auth.md, Two-factor sign-in).

The set-up endpoints need a signed-in user (Bearer, cookie or session) and refuse API keys
(no ``required_scopes``: ``ApiKeyScope`` answers 403). ``POST /api/auth/mfa/verify`` is public:
it is the second step of ``POST /api/auth/signin``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers.auth import AuthOutput, UserOutput
from accounts.serializers.mfa import (
    MfaCodeInput,
    MfaStatusOutput,
    MfaVerifyInput,
    NoBodyInput,
    RecoveryCodesOutput,
    TotpSetupOutput,
)
from accounts.services import auth as auth_services
from accounts.services import mfa as services
from accounts.services import tokens
from accounts.views.auth import E401_CREDENTIALS, E429, NoStoreMixin, PublicAuthView
from accounts.views.cookies import set_auth_cookies
from huntaze.schema import NO_API_KEY, VALIDATION, error_response
from huntaze.throttles import PER_IP, RateLimit

E400_CODE = error_response(
    "validation_error on `code`: wrong, replayed or spent code",
    VALIDATION,
    ("A wrong, replayed or spent code", services.code_refused),
    ("Two-factor is not on", services.mfa_not_on),
)
E400_SETUP = error_response(
    "validation_error on `code`: wrong code, or no set-up started",
    VALIDATION,
    ("A wrong code", services.code_refused),
    ("No set-up started (or older than an hour)", services.setup_not_started),
)
E409_ON = error_response(
    "conflict: TOTP is already on", ("Two-factor is already on", services.TotpAlreadyOn)
)
E429_CODES = error_response("throttled: too many wrong codes for this user (Retry-After header)")

CODE_EXAMPLE = OpenApiExample("A TOTP code", value={"code": "492039"}, request_only=True)
RECOVERY_EXAMPLE = OpenApiExample("A recovery code", value={"code": "83920174"}, request_only=True)
RECOVERY_CODES_EXAMPLE = OpenApiExample(
    "Ten new recovery codes",
    value={
        "recovery_codes": [
            "83920174",
            "10293847",
            "56473829",
            "91827364",
            "27384950",
            "64738291",
            "38291047",
            "74829103",
            "19283746",
            "50617283",
        ]
    },
    response_only=True,
)


class MfaStatusView(NoStoreMixin, APIView):
    @extend_schema(
        tags=["auth"],
        auth=NO_API_KEY,
        responses={200: MfaStatusOutput},
        summary="Two-factor status",
        description=(
            "Whether sign-in asks for a TOTP code, and how many recovery codes are left. "
            "Not possible with an API key."
        ),
        examples=[
            OpenApiExample(
                "TOTP on", value={"totp": True, "recovery_codes_left": 9}, response_only=True
            ),
            OpenApiExample(
                "TOTP off", value={"totp": False, "recovery_codes_left": 0}, response_only=True
            ),
        ],
    )
    def get(self, request):
        state = services.mfa_status(user=request.user)
        return Response({"totp": state.totp, "recovery_codes_left": state.recovery_codes_left})


class TotpView(NoStoreMixin, APIView):
    @extend_schema(
        tags=["auth"],
        auth=NO_API_KEY,
        request=None,
        responses={200: TotpSetupOutput, 409: E409_ON},
        summary="Start setting up TOTP",
        description=(
            "A new secret for an authenticator app, as Base32 text and as an `otpauth://` URI "
            "(draw it as a QR code). Not active until confirmed with "
            "`POST /api/auth/mfa/totp/confirm`; calling this again replaces an unconfirmed "
            "secret. 409 `conflict` when TOTP is already on."
        ),
        examples=[
            OpenApiExample(
                "A new secret",
                value={
                    "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                    "otpauth_uri": "otpauth://totp/sam%40example.com?secret="
                    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Huntaze",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request):
        # No body is needed, but one sent is checked like every POST's: malformed JSON or
        # anything but an object is a 400, another content type a 415.
        NoBodyInput(data=request.data).is_valid(raise_exception=True)
        setup = services.totp_setup_begin(user=request.user)
        return Response({"secret": setup.secret, "otpauth_uri": setup.otpauth_uri})

    @extend_schema(
        tags=["auth"],
        auth=NO_API_KEY,
        request=MfaCodeInput,
        responses={204: None, 400: E400_CODE, 429: E429_CODES},
        summary="Turn TOTP off",
        description=(
            "Needs a current code: a TOTP code or a recovery code. Turns off TOTP and the "
            "recovery codes; sign-in asks for the password only. A wrong code is a 400 on "
            "`code` and counts towards the user's limit of wrong codes (429)."
        ),
        examples=[CODE_EXAMPLE, RECOVERY_EXAMPLE],
    )
    def delete(self, request):
        data = MfaCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.totp_disable(user=request.user, code=data.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmView(NoStoreMixin, APIView):
    @extend_schema(
        tags=["auth"],
        auth=NO_API_KEY,
        request=MfaCodeInput,
        responses={200: RecoveryCodesOutput, 400: E400_SETUP, 409: E409_ON, 429: E429_CODES},
        summary="Confirm TOTP with a first code",
        description=(
            "A current code from the secret of `POST /api/auth/mfa/totp` turns TOTP on and "
            "answers 10 recovery codes, shown this once. From then on sign-in asks for a code. "
            "A wrong code (or no set-up started) is a 400 on `code`."
        ),
        examples=[CODE_EXAMPLE, RECOVERY_CODES_EXAMPLE],
    )
    def post(self, request):
        data = MfaCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.totp_setup_confirm(user=request.user, code=data.validated_data["code"])
        return Response({"recovery_codes": codes})


class RecoveryCodesView(NoStoreMixin, APIView):
    @extend_schema(
        tags=["auth"],
        auth=NO_API_KEY,
        request=MfaCodeInput,
        responses={200: RecoveryCodesOutput, 400: E400_CODE, 429: E429_CODES},
        summary="Renew the recovery codes",
        description=(
            "Needs a current code (TOTP or recovery). Answers 10 new recovery codes, shown "
            "this once; the old ones stop working. 400 on `code` when TOTP is off."
        ),
        examples=[CODE_EXAMPLE, RECOVERY_CODES_EXAMPLE],
    )
    def post(self, request):
        data = MfaCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.recovery_codes_regenerate(
            user=request.user, code=data.validated_data["code"]
        )
        return Response({"recovery_codes": codes})


class MfaVerifyView(PublicAuthView):
    """The second step of sign-in: the challenge and a code for the usual token pair."""

    rate_limits = [RateLimit("mfa_verify_ip", per=PER_IP)]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=MfaVerifyInput,
        responses={
            200: OpenApiResponse(AuthOutput, description="Signed in, as with sign-in."),
            401: E401_CREDENTIALS,
            429: E429,
        },
        summary="Sign in, second step: the two-factor code",
        description=(
            "Send the `mfa_token` of the sign-in answer and a code: a current TOTP code "
            "(each is accepted once) or an unused recovery code (then spent). Answers the "
            "user and a token pair and sets the cookies, as sign-in does. Any failure is one "
            "401 `invalid_credentials`: a wrong code, or a token unknown, older than 5 "
            "minutes, already used, or that got 5 wrong codes (sign in again). Rate limited "
            "per IP, and per user on wrong codes (429, even for a right code, until the "
            "window ends)."
        ),
        examples=[
            OpenApiExample(
                "TOTP code",
                value={"mfa_token": "mfa_3q2xW…", "code": "492039"},
                request_only=True,
            ),
            OpenApiExample(
                "Recovery code",
                value={"mfa_token": "mfa_3q2xW…", "code": "83920174"},
                request_only=True,
            ),
        ],
    )
    def post(self, request):
        data = MfaVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, _method = services.mfa_challenge_verify(
            token=data.validated_data["mfa_token"], code=data.validated_data["code"]
        )
        auth_services.user_login_record(user=user)
        pair = tokens.auth_tokens_issue(user=user)
        response = Response(
            {"user": UserOutput(user).data, "access": pair.access, "refresh": pair.refresh}
        )
        set_auth_cookies(response, pair)
        return response
