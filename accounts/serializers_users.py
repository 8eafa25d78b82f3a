"""Serializers of /api/users and /api/keys, by direction (``…Input`` / ``…Output``).

No output serializer here has a password, ``key_hash``, ``deleted_at``, ``deleted_email`` or
Stripe id field, so none can leak.
"""

from __future__ import annotations

from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiKey
from accounts.serializers import UserOutput
from accounts.services_keys import SCOPES
from billing.serializers import SubscriptionOutput
from content.serializers import ContentAssetOutput
from huntaze.fields import StrictCharField, StrictEmailField


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not declare (400, naming them).

    Silently ignoring ``role`` or ``subscription`` would let a client believe it changed them.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Ce champ ne peut pas être modifié.")] for name in unknown}
                )
        return super().to_internal_value(data)


# --- profile ----------------------------------------------------------------------------------


class ProfileStatsOutput(serializers.Serializer):
    content_count = serializers.IntegerField()
    ai_generations_this_month = serializers.IntegerField()


class ProfileOutput(UserOutput):
    """The user (``accounts.serializers.UserOutput``) plus its subscription and stats.

    Built from ``accounts.selectors.user_profile``'s dict: ``{user, subscription_record, stats}``.
    """

    subscription_record = SubscriptionOutput(read_only=True)
    stats = ProfileStatsOutput(read_only=True)

    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "subscription_record", "stats"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance["user"])
        data["subscription_record"] = SubscriptionOutput(instance["subscription_record"]).data
        data["stats"] = ProfileStatsOutput(instance["stats"]).data
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
    class Meta(UserOutput.Meta):
        fields = [*UserOutput.Meta.fields, "updated_at"]
        read_only_fields = fields


class ApiKeyOutput(serializers.ModelSerializer):
    """A key's metadata; ``key_hash`` is deliberately not a field."""

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "permissions", "last_used_at", "expires_at", "created_at"]
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


# --- API keys ---------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": list(SCOPES)}, "minItems": 1}
)
class ScopeListField(serializers.MultipleChoiceField):
    """The scopes of a key: the schema says minItems 1 (found by the contract fuzzer: an
    empty list is a 400 that the schema allowed)."""


class ApiKeyCreateInput(StrictInput):
    name = StrictCharField(max_length=100, trim_whitespace=True)
    # A set of scopes: duplicates collapse; an unknown scope or an empty list is a 400.
    permissions = ScopeListField(choices=SCOPES, allow_empty=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError(_("La date d'expiration doit être dans le futur."))
        return value


class ApiKeyCreatedOutput(ApiKeyOutput):
    """POST /api/keys: the metadata plus the plain ``key``, shown this once."""

    key = serializers.SerializerMethodField()

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, obj) -> str:
        return self.context["plain_key"]
