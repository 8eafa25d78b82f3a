"""Reads of invites with a rule: lists by status and the beta funnel."""

from __future__ import annotations

from django.db.models import Count, Q

from invites.models import BetaInvite, BetaInviteQuerySet, InviteStatus

STATUSES = tuple(InviteStatus.values)


def invite_list(*, status: str | None = None) -> BetaInviteQuerySet:
    """Invites newest first, with ``status_sql``; ``status`` must be one of ``STATUSES``."""
    qs = BetaInvite.objects.with_status().select_related("used_by").order_by("-created_at", "-pk")
    if status:
        qs = qs.with_status_filter(status)
    return qs


def invite_funnel(*, queryset: BetaInviteQuerySet | None = None) -> dict:
    """Issued, sent and used counts (one query) and the conversion rate used/issued in %.

    ``sent_rate`` is sent/issued and ``used_of_sent`` used/sent, both in % (None when the
    denominator is zero).
    """
    qs = queryset if queryset is not None else BetaInvite.objects.all()
    counts = qs.aggregate(
        issued=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        used=Count("pk", filter=Q(used_at__isnull=False)),
        revoked=Count("pk", filter=Q(used_at__isnull=True, revoked_at__isnull=False)),
    )

    def pct(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    counts["conversion"] = pct(counts["used"], counts["issued"])
    counts["sent_rate"] = pct(counts["sent"], counts["issued"])
    counts["used_of_sent"] = pct(counts["used"], counts["sent"])
    return counts
