"""Reads with a rule for users and API keys: always from the owner, never a secret."""

from __future__ import annotations

import uuid

from allauth.account.models import EmailAddress
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Greatest

from accounts.models import ApiKey, RefreshToken, User
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
