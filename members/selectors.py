"""Reads that compose several apps for one answer about a member: the profile (user,
subscription, stats), the data export, and the summary on the staff's page of a user."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import ApiKey, User
from accounts.selectors import user_last_activity_annotation
from billing.selectors import subscription_summary
from content.models import ContentAsset
from content.selectors import usage_month, user_content_stats_annotations
from huntaze.compiled import DATE_SENTINEL, UUID_SENTINEL, CompiledQuery


def _profile_users(pk: uuid.UUID, month: dt.date) -> QuerySet[User]:
    return (
        User.objects.authenticatable()
        .select_related("subscription_record")
        .annotate(**user_content_stats_annotations(month=month))
        .filter(pk=pk)
    )


PROFILE_USER = CompiledQuery(_profile_users, UUID_SENTINEL, DATE_SENTINEL)


def profile_user_load(pk: uuid.UUID) -> User | None:
    """The user of GET /api/users/profile with everything the profile shows, in one query:
    joined to its subscription record, ``content_count`` and ``ai_generations_this_month`` as
    subqueries. The profile view authenticates with it (``authenticated_user_loaders``)."""
    return PROFILE_USER.first(pk, usage_month())


def _subscription_of(user: User) -> dict[str, Any]:
    """Reads ``user.subscription_record`` (select_related by the callers: no extra query)."""
    try:
        record = user.subscription_record
    except User.subscription_record.RelatedObjectDoesNotExist:
        record = None
    return subscription_summary(record)


def user_profile(*, user: User) -> dict[str, Any]:
    """The profile of GET /api/users/profile: the user, its subscription and usage stats.

    One query whatever the data: the user joined to its subscription record, with the content
    count and the month's AI generations as subqueries. A user that ``profile_user_load`` read
    in this request (GET authenticates with it) already holds all of it: no query at all.
    """
    if hasattr(user, "content_count"):
        fresh = user
    else:
        fresh = (
            User.objects.select_related("subscription_record")
            .annotate(**user_content_stats_annotations())
            .get(pk=user.pk)
        )
    return {
        "user": fresh,
        "subscription_record": _subscription_of(fresh),
        "stats": {
            "content_count": fresh.content_count,
            "ai_generations_this_month": fresh.ai_generations_this_month,
        },
    }


def user_export(*, user: User) -> dict[str, Any]:
    """Everything of ``user``'s, for GET /api/users/profile/export.

    Every query starts from the user, so no other user's row can appear. API keys are listed
    with their metadata only (never the hash); revoked keys are included, flagged by
    ``revoked_at``, because they are part of the account's history.
    """
    fresh = User.objects.select_related("subscription_record").get(pk=user.pk)
    return {
        "exported_at": timezone.now(),
        "user": fresh,
        "subscription": _subscription_of(fresh),
        "content": ContentAsset.objects.filter(user=fresh).order_by("-created_at", "-id"),
        "api_keys": ApiKey.objects.filter(user=fresh).order_by("-created_at", "-id"),
    }


def user_admin_summary(*, user: User) -> dict[str, Any]:
    """What staff see about ``user`` on its admin page, in three queries: the invite it signed
    up with, its content count, AI generations this month, API keys (active and in all) and
    last activity."""
    now = timezone.now()
    usable = Q(api_keys__revoked_at__isnull=True) & (
        Q(api_keys__expires_at__isnull=True) | Q(api_keys__expires_at__gt=now)
    )
    keys = User.objects.filter(pk=user.pk).aggregate(
        keys_total=Count("api_keys"), keys_active=Count("api_keys", filter=usable)
    )
    fresh = (
        User.objects.annotate(**user_content_stats_annotations(), **user_last_activity_annotation())
        .values("content_count", "ai_generations_this_month", "last_activity")
        .get(pk=user.pk)
    )
    invite = user.invites_used.order_by("used_at").first()
    return {**fresh, **keys, "invite": invite}
