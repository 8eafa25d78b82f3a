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
from huntaze.schema import schema_example
from invites.selectors import STATUSES
from invites.services import EXPIRES_IN_DAYS_MAX, EXPIRES_IN_DAYS_MIN

MAX_EMAILS_PER_REQUEST = 500


@schema_example({"email": "lea.dubois@example.com", "code": "9F3A6C1E8B2D4705"})
class InviteCheckInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    code = StrictCharField(max_length=64, trim_whitespace=True)


@schema_example({"valid": True})
class InviteCheckOutput(serializers.Serializer):
    valid = serializers.BooleanField()


class InviteListQuery(serializers.Serializer):
    status = ChoiceField(choices=STATUSES, required=False)


@schema_example(
    {
        "emails": ["lea.dubois@example.com", "hugo.moreau@example.com"],
        "expires_in_days": 30,
        "send": True,
    }
)
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


@schema_example(
    {
        "id": "c4d8e2f1-7a3b-4c9d-8e1f-2a6b5c9d0e7f",
        "email": "lea.dubois@example.com",
        "code": "9F3A6C1E8B2D4705",
        "status": "pending",
        "expires_at": "2027-01-06T17:06:21.402118Z",
        "email_status": "queued",
    }
)
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


@schema_example(
    {
        "id": "c4d8e2f1-7a3b-4c9d-8e1f-2a6b5c9d0e7f",
        "email": "lea.dubois@example.com",
        "code": "9F3A6C1E8B2D4705",
        "status": "used",
        "created_at": "2026-12-07T17:06:21.402118Z",
        "expires_at": "2027-01-06T17:06:21.402118Z",
        "sent_at": "2026-12-07T17:06:24.913550Z",
        "email_status": "sent",
        "email_error": None,
        "used_at": "2026-12-08T08:41:57.220781Z",
        "used_by": "8a1e5d3c-2b7f-4a9e-b6c0-d4f2e8a1b3c5",
        "revoked_at": None,
    }
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
