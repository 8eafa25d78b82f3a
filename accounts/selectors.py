"""Reads with a rule for users and API keys: always from the owner, never a secret."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from allauth.account.models import EmailAddress
from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Greatest

from accounts.models import ApiKey, RefreshToken, Role, User
from huntaze.emails import normalize_email
from huntaze.exceptions import NotFound
from huntaze.reads import ModelColumns, fetch_one, table

USER_COLUMNS = ModelColumns(User, "u")


def authenticated_user_sql(*, select: str = "", join: str = "") -> str:
    """The SELECT of the one user a credential may authenticate (``User.objects.authenticatable()``:
    not deleted, active) by primary key, which is the last parameter.

    The user's columns come first (``USER_COLUMNS.instance(row)``); ``select`` adds columns after
    them (their parameters come before the primary key) and ``join`` the tables they read, so a
    view's one read (the profile, the subscription) keeps this rule without repeating it.
    """
    return (
        f"SELECT {USER_COLUMNS.sql}{select} FROM {table(User)} u{join}"  # noqa: S608 - no input
        " WHERE u.id = %s AND u.deleted_at IS NULL AND u.is_active"
    )


_USER_BY_ID = authenticated_user_sql()


def user_by_id(pk: uuid.UUID) -> User | None:
    """The user a credential names, if it may still authenticate: one query (the default read of
    ``accounts.authentication``)."""
    row = fetch_one(_USER_BY_ID, [pk])
    return None if row is None else USER_COLUMNS.instance(row)


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


# --- "active": one definition, for the users' list and the Beta dashboard ----------------------

# Signing up issues a session: activity within the first day of an account is the sign-up itself.
FIRST_DAY = dt.timedelta(days=1)


def user_active_q(*, days: int, now: dt.datetime) -> Q:
    """Users (annotated with ``last_activity``) **active in the last ``days`` days**: they used
    the product in the window — signed in, renewed a session, used an API key — and not only to
    sign up: they came back after their first day, or signed up less than a day ago.

    So "active" and "never came back" (``user_never_back_q``) never hold for the same user: a
    creator who signed up five days ago and never returned is not active this week. The users'
    list filters with it; the dashboard counts it (``creators_active_counts``).
    """
    return Q(last_activity__gte=now - dt.timedelta(days=days)) & (
        Q(created_at__gt=now - FIRST_DAY) | Q(last_activity__gte=F("created_at") + FIRST_DAY)
    )


def user_never_back_q(*, now: dt.datetime) -> Q:
    """Users (annotated with ``last_activity``) who **never came back**: signed up more than a
    day ago, and no activity after their first day."""
    return Q(created_at__lte=now - FIRST_DAY) & (
        Q(last_activity__isnull=True) | Q(last_activity__lt=F("created_at") + FIRST_DAY)
    )


def creators_active_counts(*, windows: Sequence[int], now: dt.datetime) -> dict[int, int]:
    """``{days: creators}``: creators (not deleted) that ``user_active_q`` finds active over
    each window, in one query.

    The same rule read the other way round, for the whole base: rather than every creator's
    last activity (a subquery per creator), the activity events of the longest window —
    sign-ins, session renewals, API-key uses — are read through their indexes, and a creator is
    active when one of them falls in the window and after their first day (or they signed up
    less than a day ago). "The last activity is in the window" and "some activity is" are the
    same statement. ``tests/accounts/test_activity.py`` pins the two to the same users.
    """
    longest = now - dt.timedelta(days=max(windows))
    counted = ", ".join(
        "count(DISTINCT u.id) FILTER (WHERE a.at >= %s AND "
        "(u.created_at > %s OR a.at >= u.created_at + %s))"
        for _ in windows
    )
    params: list = []
    for days in windows:
        params += [now - dt.timedelta(days=days), now - FIRST_DAY, FIRST_DAY]
    # A refresh token created in the window expires after its start (it cannot be renewed once
    # expired): the expiry index finds the window's tokens.
    # Only the fixed FILTER above is interpolated; every value is a parameter.
    sql = (
        f"SELECT {counted} FROM ("  # noqa: S608
        "  SELECT id AS user_id, last_login AS at FROM users WHERE last_login >= %s"
        "  UNION ALL SELECT user_id, created_at FROM refresh_tokens"
        "    WHERE expires_at >= %s AND created_at >= %s"
        "  UNION ALL SELECT user_id, last_used_at FROM api_keys WHERE last_used_at >= %s"
        ") a JOIN users u ON u.id = a.user_id "
        "WHERE u.role = %s AND u.deleted_at IS NULL"
    )
    params += [longest, longest, longest, longest, Role.CREATOR]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(windows, row, strict=True))
