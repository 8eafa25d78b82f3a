"""Billing reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from accounts.models import Plan, User
from accounts.selectors import USER_COLUMNS, authenticated_user_sql
from billing.models import SubscriptionRecord, SubscriptionStatus
from huntaze.reads import column, fetch_one, table

_SUMMARY_FIELDS = (
    "plan",
    "status",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
)


def subscription_summary(record: SubscriptionRecord | None) -> dict[str, Any]:
    """The subscription shape of a record (docs/api.md, Billing); FREE/ACTIVE with null dates
    when there is none."""
    if record is None:
        return {
            "plan": Plan.FREE,
            "status": SubscriptionStatus.ACTIVE,
            "current_period_start": None,
            "current_period_end": None,
            "cancel_at_period_end": False,
        }
    return {name: getattr(record, name) for name in _SUMMARY_FIELDS}


# For a read of the user (``accounts.selectors.authenticated_user_sql``, alias ``u``) that also
# reads its subscription: the record LEFT JOINed as ``r``, its id (NULL: no record) and the
# summary's columns, in ``SUBSCRIPTION_WIDTH`` columns that ``subscription_summary_of_row`` reads.
SUBSCRIPTION_SELECT = ", " + ", ".join(
    column(SubscriptionRecord, name, "r") for name in ("id", *_SUMMARY_FIELDS)
)
SUBSCRIPTION_JOIN = (
    f" LEFT JOIN {table(SubscriptionRecord)} r ON {column(SubscriptionRecord, 'user', 'r')} = u.id"
)
SUBSCRIPTION_WIDTH = 1 + len(_SUMMARY_FIELDS)


def subscription_summary_of_row(row: Sequence[Any], start: int) -> dict[str, Any]:
    """``subscription_summary`` of the record read by ``SUBSCRIPTION_SELECT`` at ``row[start:]``."""
    if row[start] is None:
        return subscription_summary(None)
    return dict(zip(_SUMMARY_FIELDS, row[start + 1 : start + SUBSCRIPTION_WIDTH], strict=True))


_USER_WITH_SUBSCRIPTION = authenticated_user_sql(select=SUBSCRIPTION_SELECT, join=SUBSCRIPTION_JOIN)


def subscription_user_read(pk: uuid.UUID) -> User | None:
    """The user of GET /api/billing/subscription with ``subscription_summary`` (its
    subscription as the API shows it), in one query; None for a user that may not
    authenticate. The view authenticates with it (``authentication_reading``)."""
    row = fetch_one(_USER_WITH_SUBSCRIPTION, [pk])
    if row is None:
        return None
    user = USER_COLUMNS.instance(row)
    user.subscription_summary = subscription_summary_of_row(row, USER_COLUMNS.width)
    return user
