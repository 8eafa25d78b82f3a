"""Serializers of /api/users (the profile and the export), by direction (``…Input`` / ``…Output``).

No output serializer here has a password, ``key_hash``, ``deleted_at``, ``deleted_email`` or
Stripe id field, so none can leak.
"""

from __future__ import annotations

from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.serializers.auth import UserOutput, user_representation
from accounts.serializers.keys import ApiKeyOutput
from billing.serializers import SubscriptionOutput, subscription_representation
from content.serializers import ContentAssetOutput
from huntaze.fields import StrictCharField, StrictEmailField, StrictInput

# --- profile ----------------------------------------------------------------------------------


class ProfileStatsOutput(serializers.Serializer):
    content_count = serializers.IntegerField()
    ai_generations_this_month = serializers.IntegerField()


class ProfileOutput(UserOutput):
    """The user (``UserOutput``) plus its subscription and stats.

    Built from ``members.selectors.user_profile``'s dict: ``{user, subscription_record, stats}``.
    """

    subscription_record = SubscriptionOutput(read_only=True)
    stats = ProfileStatsOutput(read_only=True)

    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "subscription_record", "stats"]
        read_only_fields = fields

    def to_representation(self, instance):
        # Direct, like its parts (user_representation, subscription_representation); pinned to
        # the generic output by tests/accounts/test_direct_output.py.
        data = user_representation(instance["user"])
        data["subscription_record"] = subscription_representation(instance["subscription_record"])
        stats = instance["stats"]
        data["stats"] = {
            "content_count": int(stats["content_count"]),
            "ai_generations_this_month": int(stats["ai_generations_this_month"]),
        }
        return data


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


class ProfileDeleteInput(serializers.Serializer):
    password = StrictCharField(trim_whitespace=False, max_length=4096)

    def validate_password(self, value):
        user = self.context["user"]
        if not user.check_password(value):
            raise serializers.ValidationError(_("Mot de passe incorrect."))
        return value


# --- export -----------------------------------------------------------------------------------


class ExportUserOutput(UserOutput):
    # The generic ModelSerializer path: it has a field more than user_representation.
    to_representation = serializers.ModelSerializer.to_representation

    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "updated_at"]
        read_only_fields = fields


class ExportApiKeyOutput(ApiKeyOutput):
    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "revoked_at"]
        read_only_fields = fields


class ExportOutput(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    user = ExportUserOutput()
    subscription = SubscriptionOutput()
    content = ContentAssetOutput(many=True)
    api_keys = ExportApiKeyOutput(many=True)
