"""Serializers of /api/users (the profile and the export), by direction (``…Input`` / ``…Output``).

No output serializer here has a password, ``key_hash``, ``deleted_at``, ``deleted_email`` or
Stripe id field, so none can leak.
"""

from __future__ import annotations

from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.serializers.auth import EXAMPLE_PASSWORD, USER_EXAMPLE, UserOutput
from accounts.serializers.keys import API_KEY_EXAMPLE, ApiKeyOutput
from billing.serializers import SUBSCRIPTION_EXAMPLE, SubscriptionOutput
from content.serializers import ASSET_EXAMPLE, ContentAssetOutput
from huntaze.fields import DirectOutput, StrictCharField, StrictEmailField, StrictInput
from huntaze.schema import schema_example

# The schema's examples (huntaze/schema.py).
PROFILE_EXAMPLE = {
    **USER_EXAMPLE,
    "subscription_record": SUBSCRIPTION_EXAMPLE,
    "stats": {"content_count": 48, "ai_generations_this_month": 12},
}

# --- profile ----------------------------------------------------------------------------------


class ProfileStatsOutput(DirectOutput, serializers.Serializer):
    content_count = serializers.IntegerField()
    ai_generations_this_month = serializers.IntegerField()


@schema_example(PROFILE_EXAMPLE)
class ProfileOutput(UserOutput):
    """The user (``UserOutput``'s fields) plus its subscription and stats, from the user that
    ``members.selectors.profile_user_read`` reads (``subscription_summary``, ``content_count``,
    ``ai_generations_this_month``)."""

    subscription_record = SubscriptionOutput(source="subscription_summary", read_only=True)
    stats = ProfileStatsOutput(source="*", read_only=True)

    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "subscription_record", "stats"]
        read_only_fields = fields


@schema_example(
    {
        "name": "Camille Martin-Roux",
        "avatar": "https://cdn.example.com/avatars/camille-martin-2027.jpg",
        "email": "camille@martin-roux.example",
    }
)
class ProfileUpdateInput(StrictInput):
    """PATCH /api/users/profile: any of ``name``, ``avatar``, ``email`` — nothing else."""

    name = StrictCharField(max_length=200, trim_whitespace=True, required=False)
    avatar = StrictCharField(
        max_length=500,
        allow_null=True,
        allow_blank=True,
        required=False,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    email = StrictEmailField(max_length=254, required=False)

    def validate_avatar(self, value):
        return value or None


@schema_example({"password": EXAMPLE_PASSWORD})
class ProfileDeleteInput(serializers.Serializer):
    password = StrictCharField(trim_whitespace=False, max_length=4096)

    def validate_password(self, value):
        user = self.context["user"]
        if not user.check_password(value):
            raise serializers.ValidationError(_("Mot de passe incorrect."))
        return value


# --- export -----------------------------------------------------------------------------------


class ExportUserOutput(UserOutput):
    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "updated_at"]
        read_only_fields = fields


class ExportApiKeyOutput(ApiKeyOutput):
    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "revoked_at"]
        read_only_fields = fields


@schema_example(
    {
        "exported_at": "2026-12-07T17:06:30.551902Z",
        "user": {**USER_EXAMPLE, "updated_at": "2026-12-02T14:20:11.870346Z"},
        "subscription": SUBSCRIPTION_EXAMPLE,
        "content": [ASSET_EXAMPLE],
        "api_keys": [{**API_KEY_EXAMPLE, "revoked_at": None}],
    }
)
class ExportOutput(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    user = ExportUserOutput()
    subscription = SubscriptionOutput()
    content = ContentAssetOutput(many=True)
    api_keys = ExportApiKeyOutput(many=True)
