"""Serializers of the auth endpoints, by direction (``…Input`` parses, ``…Output`` renders).

Passwords are write-only, never trimmed, and capped at 256 characters (hashing megabyte
passwords is a cheap denial of service).
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from huntaze.emails import normalize_email
from huntaze.fields import DirectOutput, StrictCharField, StrictEmailField
from huntaze.schema import schema_example

PASSWORD_MAX = 256
TOKEN_MAX = 256

# The schema's examples (huntaze/schema.py): one creator, reused by the bodies that show her.
USER_EXAMPLE = {
    "id": "0b6f2c1e-4d5a-4f3b-9c8e-7a1d2e3f4a5b",
    "email": "camille.martin@example.com",
    "name": "Camille Martin",
    "avatar": "https://cdn.example.com/avatars/camille-martin.jpg",
    "role": "CREATOR",
    "subscription": "PRO",
    "created_at": "2026-11-03T09:12:44.512034Z",
}
EXAMPLE_PASSWORD = "Aubergine-Velours-1987"
ACCESS_EXAMPLE = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwYjZmMmMxZS00ZDVhLTRmM2ItOWM4ZS03YTFkMmUzZ"
    "jRhNWIiLCJ0eXAiOiJhY2Nlc3MiLCJpYXQiOjE3OTY1NzQ0MDAsImV4cCI6MTc5NjU3NTMwMH0.mS3Xq9v2Lr0bW7J"
    "kT4dZ1pY8cN6eH5aF0uG2iQ3oR7s"
)
REFRESH_EXAMPLE = "kq3V7yQm2ZtP9sL0xW4cB8nR1dF6hJ5gA2eK7uM3oTc"


def _password_field(**kwargs) -> StrictCharField:
    return StrictCharField(
        write_only=True, trim_whitespace=False, max_length=PASSWORD_MAX, **kwargs
    )


@schema_example(USER_EXAMPLE)
class UserOutput(DirectOutput, serializers.ModelSerializer):
    """The public user: never the password hash, ``deleted_at`` or the Stripe id. Sign-up,
    sign-in, /me and the profile render it; ``DirectOutput`` renders these fields (a subclass's
    too) without walking DRF's fields per request."""

    class Meta:
        model = User
        fields = ["id", "email", "name", "avatar", "role", "subscription", "created_at"]
        read_only_fields = fields


@schema_example(
    {
        "email": "camille.martin@example.com",
        "password": EXAMPLE_PASSWORD,
        "name": "Camille Martin",
        "invite_code": "7C1D4E9A2B5F8036",
    }
)
class SignUpInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = _password_field()
    name = StrictCharField(max_length=200)
    invite_code = StrictCharField(max_length=64)

    def validate_email(self, value: str) -> str:
        return normalize_email(value)

    def validate_password(self, value: str) -> str:
        # Django's validators, with the would-be user for the similarity check. A field
        # validator (not validate()), so a weak password is reported in the same 400 as any
        # other field error; the other fields are read raw, as they may be invalid themselves.
        raw = self.initial_data if isinstance(self.initial_data, dict) else {}
        email, name = raw.get("email"), raw.get("name")
        candidate = User(
            email=normalize_email(email) if isinstance(email, str) else "",
            name=name if isinstance(name, str) else "",
        )
        try:
            password_validation.validate_password(value, user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return value


@schema_example({"email": "camille.martin@example.com", "password": EXAMPLE_PASSWORD})
class SignInInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = _password_field()


@schema_example({"user": USER_EXAMPLE, "access": ACCESS_EXAMPLE, "refresh": REFRESH_EXAMPLE})
class AuthOutput(serializers.Serializer):
    """Sign-up and sign-in: the user and a token pair (also set as cookies)."""

    user = UserOutput()
    access = serializers.CharField(help_text="JWT access token (15 minutes).")
    refresh = serializers.CharField(help_text="Opaque single-use refresh token (30 days).")


@schema_example(
    {"access": ACCESS_EXAMPLE, "refresh": "Zr8pD1wN6qT3vX0yB5mK9cH2fL7sG4aE1uJ8oV3iQ6t"}
)
class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField(help_text="JWT access token (15 minutes).")
    refresh = serializers.CharField(help_text="The next refresh token; the one sent is spent.")


@extend_schema_field(OpenApiTypes.STR)
class RefreshTokenField(serializers.Field):
    """The refresh token, taken as sent: whatever its type or length, a value that is not a
    live refresh token is the service's 401 ``token_invalid`` (front ends then sign in again),
    never a 400."""

    def to_internal_value(self, data):
        return data


@schema_example({"refresh": REFRESH_EXAMPLE})
class RefreshInput(serializers.Serializer):
    refresh = RefreshTokenField(
        required=False,
        allow_null=True,
        help_text="Omit to use the refresh_token cookie (then Origin must be allowed).",
    )


@schema_example({"refresh": REFRESH_EXAMPLE})
class SignOutInput(serializers.Serializer):
    refresh = StrictCharField(
        required=False,
        max_length=TOKEN_MAX,
        help_text="Omit to use the refresh_token cookie (then Origin must be allowed).",
    )


@schema_example({"current_password": EXAMPLE_PASSWORD, "new_password": "Cerisier-Boussole-2041"})
class PasswordChangeInput(serializers.Serializer):
    current_password = _password_field()
    new_password = _password_field()


@schema_example({"email": "camille.martin@example.com"})
class PasswordResetInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)


@schema_example(
    {
        "token": "0b6f2c1e4d5a4f3b9c8e7a1d2e3f4a5b-cbr8tx-4f1e9b0a7d3c6e2f5a8b",
        "new_password": "Cerisier-Boussole-2041",
    }
)
class PasswordResetConfirmInput(serializers.Serializer):
    token = StrictCharField(max_length=TOKEN_MAX)
    new_password = _password_field()
