"""Serializers of the two-factor endpoints (``/api/auth/mfa…``), by direction."""

from __future__ import annotations

from rest_framework import serializers

from accounts.serializers.auth import TOKEN_MAX
from huntaze.fields import StrictCharField
from huntaze.schema import schema_example

CODE_MAX = 64


def _code_field() -> StrictCharField:
    return StrictCharField(
        max_length=CODE_MAX,
        help_text=(
            "A current 6-digit code of the authenticator app, or one of the 8-digit recovery "
            "codes (spaces and dashes are ignored)."
        ),
    )


@schema_example({"totp": True, "recovery_codes_left": 9})
class MfaStatusOutput(serializers.Serializer):
    totp = serializers.BooleanField(help_text="Whether sign-in asks for a TOTP code.")
    recovery_codes_left = serializers.IntegerField(
        help_text="Unused recovery codes (0 when TOTP is off)."
    )


@schema_example(
    {
        "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "otpauth_uri": "otpauth://totp/Huntaze:camille.martin%40example.com"
        "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Huntaze",
    }
)
class TotpSetupOutput(serializers.Serializer):
    secret = serializers.CharField(
        help_text="Base32 secret to type into the authenticator app (shown once)."
    )
    otpauth_uri = serializers.CharField(
        help_text="The same secret as an otpauth:// URI, for a QR code drawn by the front end."
    )


class NoBodyInput(serializers.Serializer):
    """An endpoint without parameters: nothing, or an empty JSON object."""


@schema_example({"code": "492039"})
class MfaCodeInput(serializers.Serializer):
    code = _code_field()


class RecoveryCodesOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text="10 single-use codes, shown once: each signs in once instead of a TOTP code.",
    )


@schema_example({"mfa_token": "mfa_3q2xWm0l9h1bYcT7vK4pN8sD2fG6hJ0a", "code": "492039"})
class MfaVerifyInput(serializers.Serializer):
    mfa_token = StrictCharField(
        max_length=TOKEN_MAX, help_text="The mfa_token of the sign-in answer (5 minutes)."
    )
    code = _code_field()


class MfaRequiredOutput(serializers.Serializer):
    """Sign-in of a user with TOTP on: no tokens yet, a challenge to answer."""

    mfa_required = serializers.BooleanField(help_text="Always true.")
    mfa_token = serializers.CharField(
        help_text="Opaque; send it with a code to POST /api/auth/mfa/verify within 5 minutes."
    )
    methods = serializers.ListField(
        child=serializers.ChoiceField(choices=["totp", "recovery_code"]),
        help_text="The kinds of code accepted.",
    )
