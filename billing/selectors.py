"""Billing reads."""

from __future__ import annotations

from typing import Any

from accounts.models import Plan, User
from billing.models import SubscriptionRecord, SubscriptionStatus


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


def subscription_for_user(*, user: User) -> dict[str, Any]:
    """The user's subscription as the API shows it; FREE/ACTIVE when there is no record.

    One query.
    """
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
