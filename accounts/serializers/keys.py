"""Serializers of /api/keys, by direction. ``ApiKeyOutput`` has no ``key_hash`` field, so the
stored digest cannot leak; the plain key appears in ``ApiKeyCreatedOutput`` only, once."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiKey
from accounts.services.keys import SCOPES
from huntaze.fields import MultipleChoiceField, StrictCharField, StrictInput
from huntaze.schema import schema_example

# The schema's examples (huntaze/schema.py).
API_KEY_EXAMPLE = {
    "id": "5e2a9c7d-1b3f-4e8a-a6d0-9f4c2b7e1a38",
    "name": "Publication planner",
    "prefix": "hz_k3m7q2xa",
    "permissions": ["content:read", "content:write"],
    "last_used_at": "2026-12-07T16:42:05.118230Z",
    "expires_at": "2030-06-30T22:00:00Z",
    "created_at": "2026-12-01T10:15:30.002417Z",
}


@schema_example(API_KEY_EXAMPLE)
class ApiKeyOutput(serializers.ModelSerializer):
    """A key's metadata; ``key_hash`` is deliberately not a field."""

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "permissions", "last_used_at", "expires_at", "created_at"]
        read_only_fields = fields


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": list(SCOPES)}, "minItems": 1}
)
class ScopeListField(MultipleChoiceField):
    """The scopes of a key: the schema says minItems 1 (found by the contract fuzzer: an
    empty list is a 400 that the schema allowed)."""


@schema_example(
    {
        "name": "Publication planner",
        "permissions": ["content:read", "content:write"],
        "expires_at": "2030-06-30T22:00:00Z",
    }
)
class ApiKeyCreateInput(StrictInput):
    name = StrictCharField(max_length=100, trim_whitespace=True)
    # A set of scopes: duplicates collapse; an unknown scope or an empty list is a 400.
    permissions = ScopeListField(choices=SCOPES, allow_empty=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError(_("La date d'expiration doit être dans le futur."))
        return value


@schema_example(
    {
        **API_KEY_EXAMPLE,
        "last_used_at": None,
        "created_at": "2026-12-07T17:06:12.734901Z",
        "key": "hz_k3m7q2xa_Q8mT2vR7xK4pL9wN1cB6dF3hJ5gS0aE2uY7iO4zX8kV",
    }
)
class ApiKeyCreatedOutput(ApiKeyOutput):
    """POST /api/keys: the metadata plus the plain ``key``, shown this once."""

    key = serializers.SerializerMethodField()

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, obj) -> str:
        return self.context["plain_key"]
