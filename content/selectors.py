"""Reads with a rule for content (issue 11 owns this module)."""

from __future__ import annotations

from django.utils import timezone

from content.models import ContentAsset


def month_start(now=None):
    now = now or timezone.now()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def ai_generations_this_month(*, user) -> int:
    """Successful AI generations of ``user`` in the current calendar month (UTC).

    Placeholder of the foundation (counts AI-written assets); issue 11 replaces it with the
    quota counter, keeping this signature (the profile's ``stats`` calls it).
    """
    return ContentAsset.objects.filter(
        user=user, metadata__has_key="ai", created_at__gte=month_start()
    ).count()
