"""Reads of invites with a rule: lists by status, the beta funnel, who already has an account."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from huntaze.emails import normalize_email
from invites.models import BetaInvite, BetaInviteQuerySet, EmailStatus, InviteStatus

STATUSES = tuple(InviteStatus.values)


def invite_list(*, status: str | None = None) -> BetaInviteQuerySet:
    """Invites newest first, with ``status_sql``; ``status`` must be one of ``STATUSES``."""
    qs = BetaInvite.objects.with_status().select_related("used_by").order_by("-created_at", "-pk")
    if status:
        qs = qs.with_status_filter(status)
    return qs


def invite_funnel(*, queryset: BetaInviteQuerySet | None = None) -> dict:
    """The beta funnel of ``queryset`` (every invite by default), in one query.

    Counts: ``issued``, ``sent`` (delivered at least once), ``used``, and by status ``pending``,
    ``expired``, ``revoked``; ``not_sent`` are pending invites never delivered, ``send_failed``
    pending invites whose email failed for good (the worker's tries are spent). Rates in %:
    ``conversion`` used/issued, ``sent_rate`` sent/issued, ``used_of_sent`` used/sent (None when the denominator is zero).
    """
    qs = queryset if queryset is not None else BetaInvite.objects.all()
    now = timezone.now()
    unused = Q(used_at__isnull=True, revoked_at__isnull=True)
    pending = unused & Q(expires_at__gt=now)
    counts = qs.aggregate(
        issued=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        used=Count("pk", filter=Q(used_at__isnull=False)),
        revoked=Count("pk", filter=Q(used_at__isnull=True, revoked_at__isnull=False)),
        pending=Count("pk", filter=pending),
        expired=Count("pk", filter=unused & Q(expires_at__lte=now)),
        not_sent=Count("pk", filter=pending & Q(sent_at__isnull=True)),
        send_failed=Count("pk", filter=pending & Q(email_status=EmailStatus.FAILED)),
    )

    def pct(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    counts["conversion"] = pct(counts["used"], counts["issued"])
    counts["sent_rate"] = pct(counts["sent"], counts["issued"])
    counts["used_of_sent"] = pct(counts["used"], counts["sent"])
    return counts


def invite_emails_with_account(*, emails: Iterable[str]) -> dict[str, object]:
    """``{email: user id}`` for the addresses of ``emails`` that already have an account.

    Read through ``get_user_model()`` rather than ``accounts``: invites must not import
    accounts (accounts uses invites, docs/invites.md), and the auth user model is the one
    thing every app may know. Emails are compared normalised (stored lower-cased); a
    soft-deleted account holds a placeholder address, so its former address is free.
    """
    wanted = {normalize_email(e) for e in emails}
    if not wanted:
        return {}
    user_model = get_user_model()
    rows = user_model._default_manager.filter(email__in=wanted).values_list("email", "pk")
    return dict(rows)


def invite_emails_pending_sent(*, emails: Iterable[str]) -> set[str]:
    """The addresses of ``emails`` whose pending invite has already been emailed: issuing them
    again keeps that invite and sends nothing (the bulk page counts what it would send)."""
    wanted = {normalize_email(e) for e in emails}
    if not wanted:
        return set()
    pending = BetaInvite.objects.pending().filter(email__in=wanted, sent_at__isnull=False)
    return set(pending.values_list("email", flat=True))
