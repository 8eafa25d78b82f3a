"""Invite serializers, by direction (docs/api.md, Invites)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from huntaze.fields import (
    ChoiceField,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
)
from invites.selectors import STATUSES
from invites.services import EXPIRES_IN_DAYS_MAX, EXPIRES_IN_DAYS_MIN

MAX_EMAILS_PER_REQUEST = 500


class InviteCheckInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    code = StrictCharField(max_length=64, trim_whitespace=True)


class InviteCheckOutput(serializers.Serializer):
    valid = serializers.BooleanField()


class InviteListQuery(serializers.Serializer):
    status = ChoiceField(choices=STATUSES, required=False)


class InviteCreateInput(serializers.Serializer):
    emails = serializers.ListField(
        child=StrictEmailField(max_length=254),
        allow_empty=False,
        min_length=1,  # minItems in the schema (the contract fuzzer sent [] as schema-valid)
        max_length=MAX_EMAILS_PER_REQUEST,
    )
    expires_in_days = StrictIntegerField(
        required=False, min_value=EXPIRES_IN_DAYS_MIN, max_value=EXPIRES_IN_DAYS_MAX
    )
    send = StrictBooleanField(
        required=False,
        default=False,
        help_text="Email the invites after they are issued (those not sent yet and those "
        "already pending alike).",
    )


EMAIL_STATES = ("queued", "sent", "failed")


class InviteCreatedOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    code = serializers.CharField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    email_status = serializers.ChoiceField(
        choices=EMAIL_STATES,
        source="email_state",
        allow_null=True,
        help_text="The invite email: `queued` (the worker sends it after the answer), `sent`, "
        "`failed`, or null (never sent).",
    )


class InviteOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    email_status = serializers.ChoiceField(
        choices=EMAIL_STATES,
        source="email_state",
        allow_null=True,
        help_text="The invite email: `queued` (waiting for the worker, or for another try "
        "after a temporary failure), `sent`, `failed` (the tries are spent; `email_error` says "
        "why), or null (never sent).",
    )
    email_error = serializers.SerializerMethodField(
        help_text="The last delivery error while `queued` (another try is scheduled) or "
        "`failed`; null otherwise."
    )
    used_at = serializers.DateTimeField(allow_null=True)
    used_by = serializers.UUIDField(source="used_by_id", allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_email_error(self, invite) -> str | None:
        if invite.email_state in ("queued", "failed") and invite.last_send_error:
            return invite.last_send_error
        return None
