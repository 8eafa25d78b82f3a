from __future__ import annotations

from rest_framework import serializers

from accounts.models import User


class UserOutput(serializers.ModelSerializer):
    """The public user: never the password hash, ``deleted_at`` or the Stripe id."""

    class Meta:
        model = User
        fields = ["id", "email", "name", "avatar", "role", "subscription", "created_at"]
        read_only_fields = fields
