"""Reads with a rule for users and API keys: always from the owner, never a secret."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import ApiKey, RefreshToken, User
from billing.selectors import subscription_summary
from content.models import ContentAsset
from content.selectors import usage_month, user_content_stats_annotations
from huntaze.compiled import DATE_SENTINEL, UUID_SENTINEL, CompiledQuery
from huntaze.emails import normalize_email
from huntaze.exceptions import NotFound


def email_is_taken(*, email: str, exclude_user: User | None = None) -> bool:
    """True when another account holds ``email``, as its login or as an allauth address.

    The one rule of sign-up, profile change, restore and the legacy import: an address that
    allauth records for someone (even unverified) is theirs, or a password reset or email
    login could reach the wrong account.
    """
    email = normalize_email(email)
    users = User.objects.filter(email__iexact=email)
    addresses = EmailAddress.objects.filter(email__iexact=email)
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
        addresses = addresses.exclude(user=exclude_user)
    return users.exists() or addresses.exists()


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


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    """The user's keys, newest first. Revoked keys are left out (they are gone for the user;
    staff still see them in the admin); expired keys stay listed until revoked, so the user
    sees why a script stopped working."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")


def api_key_get(*, user: User, key_id: str) -> ApiKey:
    """One of the user's live keys; another user's key, a revoked one or a malformed id: 404."""
    try:
        pk = uuid.UUID(str(key_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound() from None
    key = api_key_list(user=user).filter(pk=pk).first()
    if key is None:
        raise NotFound()
    return key


def user_last_activity_annotation() -> dict[str, Greatest]:
    """``last_activity`` on a user queryset: the newest of the last sign-in (``last_login``),
    the last refresh token issued (sign-up, sign-in and every session renewal issue one) and
    the last API-key use. ``last_login`` alone misses a creator who stays signed in: the front
    end renews the session with refresh tokens and never signs in again.

    PostgreSQL's GREATEST skips NULLs; the value is NULL only when none of the three exists.
    """
    last_refresh = (
        RefreshToken.objects.filter(user=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")
    )
    last_key_use = (
        ApiKey.objects.filter(user=OuterRef("pk"), last_used_at__isnull=False)
        .order_by("-last_used_at")
        .values("last_used_at")
    )
    return {
        "last_activity": Greatest(
            "last_login", Subquery(last_refresh[:1]), Subquery(last_key_use[:1])
        )
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
