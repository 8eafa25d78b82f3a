"""Reads that compose several apps for one answer about a member: the profile (user,
subscription, stats), the data export, and the summary on the staff's page of a user."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import ApiKey, User
from accounts.selectors import USER_COLUMNS, authenticated_user_sql, user_last_activity_annotation
from billing.selectors import (
    SUBSCRIPTION_JOIN,
    SUBSCRIPTION_SELECT,
    SUBSCRIPTION_WIDTH,
    subscription_summary,
    subscription_summary_of_row,
)
from content.models import ContentAsset
from content.selectors import usage_month, user_content_stats_sql
from huntaze.reads import column, fetch_one, table

_STATS = user_content_stats_sql("u.id")
_PROFILE = authenticated_user_sql(
    select=f"{SUBSCRIPTION_SELECT}, {_STATS['content_count']},"
    f" {_STATS['ai_generations_this_month']}",
    join=SUBSCRIPTION_JOIN,
)
_STATS_AT = USER_COLUMNS.width + SUBSCRIPTION_WIDTH


def profile_user_read(pk: uuid.UUID) -> User | None:
    """The user of /api/users/profile with everything the profile shows, in one query: its
    subscription (``subscription_summary``, from the LEFT JOINed record) and its stats
    (``content_count``, ``ai_generations_this_month``: subqueries); None for a user that may
    not authenticate. The view authenticates with it (``authentication_reading``) and reads the
    user back with it after a change."""
    row = fetch_one(_PROFILE, [usage_month(), pk])
    if row is None:
        return None
    user = USER_COLUMNS.instance(row)
    user.subscription_summary = subscription_summary_of_row(row, USER_COLUMNS.width)
    user.content_count, user.ai_generations_this_month = row[_STATS_AT : _STATS_AT + 2]
    return user


def user_export(*, user: User) -> dict[str, Any]:
    """Everything of ``user``'s, for GET /api/users/profile/export.

    Every query starts from the user, so no other user's row can appear. API keys are listed
    with their metadata only (never the hash); revoked keys are included, flagged by
    ``revoked_at``, because they are part of the account's history.
    """
    fresh = User.objects.select_related("subscription_record").get(pk=user.pk)
    try:
        record = fresh.subscription_record
    except User.subscription_record.RelatedObjectDoesNotExist:
        record = None
    return {
        "exported_at": timezone.now(),
        "user": fresh,
        "subscription": subscription_summary(record),
        "content": ContentAsset.objects.filter(user=fresh).order_by("-created_at", "-id"),
        "api_keys": ApiKey.objects.filter(user=fresh).order_by("-created_at", "-id"),
    }


def user_admin_summary(*, user: User) -> dict[str, Any]:
    """What staff see about ``user`` on its admin page, in three queries: the invite it signed
    up with, its content count, AI generations this month (the profile's stats, by the same
    SQL), API keys (active and in all) and last activity."""
    now = timezone.now()
    usable = Q(api_keys__revoked_at__isnull=True) & (
        Q(api_keys__expires_at__isnull=True) | Q(api_keys__expires_at__gt=now)
    )
    keys = User.objects.filter(pk=user.pk).aggregate(
        keys_total=Count("api_keys"), keys_active=Count("api_keys", filter=usable)
    )
    # S611: the SQL is content's, from model metadata and constants; the month is a parameter.
    stats = user_content_stats_sql(column(User, "id", table(User)))
    fresh = (
        User.objects.annotate(
            content_count=RawSQL(stats["content_count"], ()),  # noqa: S611
            ai_generations_this_month=RawSQL(  # noqa: S611
                stats["ai_generations_this_month"], (usage_month(),)
            ),
            **user_last_activity_annotation(),
        )
        .values("content_count", "ai_generations_this_month", "last_activity")
        .get(pk=user.pk)
    )
    invite = user.invites_used.order_by("used_at").first()
    return {**fresh, **keys, "invite": invite}
