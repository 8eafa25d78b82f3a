"""Billing reads."""

from __future__ import annotations

import uuid
from typing import Any

from accounts.models import Plan, User
from billing.models import SubscriptionRecord, SubscriptionStatus
from huntaze.compiled import UUID_SENTINEL, CompiledQuery


def subscription_summary(record: SubscriptionRecord | None) -> dict[str, Any]:
    """The subscription shape of a record (docs/api.md, Billing); FREE/ACTIVE with null dates when there is none."""
    if record is None:
        return {
            "plan": Plan.FREE,
            "status": SubscriptionStatus.ACTIVE,
            "current_period_start": None,
            "current_period_end": None,
            "cancel_at_period_end": False,
        }
    return {
        "plan": record.plan,
        "status": record.status,
        "current_period_start": record.current_period_start,
        "current_period_end": record.current_period_end,
        "cancel_at_period_end": record.cancel_at_period_end,
    }


SUBSCRIPTION_USER = CompiledQuery(
    lambda pk: User.objects.authenticatable().select_related("subscription_record").filter(pk=pk),
    UUID_SENTINEL,
)


def subscription_user_load(pk: uuid.UUID) -> User | None:
    """The user of GET /api/billing/subscription joined to its subscription record, in one
    query. The view authenticates with it (``authenticated_user_loaders``)."""
    return SUBSCRIPTION_USER.first(pk)


def subscription_for_user(*, user: User) -> dict[str, Any]:
    """The user's subscription as the API shows it; FREE/ACTIVE when there is no record.

    One query, or none when ``subscription_user_load`` read the record with the user.
    """
    if User.subscription_record.is_cached(user):
        try:
            return subscription_summary(user.subscription_record)
        except User.subscription_record.RelatedObjectDoesNotExist:
            return subscription_summary(None)
    record = (
        SubscriptionRecord.objects.filter(user=user)
        .only(
            "plan",
            "status",
            "current_period_start",
            "current_period_end",
            "cancel_at_period_end",
        )
        .first()
    )
    return subscription_summary(record)
