"""Invite services: issue, check and redeem (issue 4 adds send, resend, revoke and bulk)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from invites.models import BetaInvite


def invite_code_generate() -> str:
    """16 upper-case hex characters (64 bits) from the OS CSPRNG."""
    return secrets.token_hex(8).upper()


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def invite_pending_for(*, email: str) -> BetaInvite | None:
    now = timezone.now()
    return (
        BetaInvite.objects.filter(
            email=_normalize_email(email),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def invite_issue(
    *, email: str, created_by=None, expires_in_days: int | None = None
) -> tuple[BetaInvite, bool]:
    """Return ``(invite, created)``: the email's pending invite, or a new one."""
    existing = invite_pending_for(email=email)
    if existing is not None:
        return existing, False
    days = expires_in_days if expires_in_days is not None else settings.INVITE_EXPIRY_DAYS
    for _attempt in range(5):
        try:
            with transaction.atomic():
                invite = BetaInvite.objects.create(
                    email=_normalize_email(email),
                    code=invite_code_generate(),
                    created_by=created_by,
                    expires_at=timezone.now() + timedelta(days=days),
                )
            return invite, True
        except IntegrityError:  # a code collision (2^-64): draw again
            continue
    raise RuntimeError("could not generate a unique invite code")


def invite_is_valid(*, email: str, code: str) -> bool:
    return BetaInvite.objects.filter(
        email=_normalize_email(email),
        code=(code or "").strip().upper(),
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()


def invite_redeem(*, email: str, code: str, user) -> bool:
    """Spend the invite for ``user`` with one conditional UPDATE; True when it was spent.

    Call inside the transaction that creates the user: only one of several concurrent
    redemptions of one code can match ``used_at IS NULL``, and a rollback leaves it unused.
    """
    now = timezone.now()
    updated = BetaInvite.objects.filter(
        email=_normalize_email(email),
        code=(code or "").strip().upper(),
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now, used_by=user, updated_at=now)
    return updated == 1
