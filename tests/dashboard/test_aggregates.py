"""The dashboard's content per day, read from the quarter-hour counts, equals the live count.

``content_and_generations_per_day`` sums ``content_activity_buckets`` (kept by triggers,
migration 0008) into days of ``ADMIN_TIME_ZONE``; the reference here is the grouped count over
``content_assets`` it replaced. Assets sit on every side of local midnights (Paris, and zones a
quarter or half an hour off the hour), today included, some deleted or moved afterwards.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from content.models import ContentAsset
from dashboard.selectors import WINDOW_DAYS, _window, content_and_generations_per_day
from huntaze.l10n import display_zone
from tests.factories import make_asset, make_user

pytestmark = pytest.mark.django_db


def _live_per_day() -> dict[dt.date, int]:
    since, calendar = _window(WINDOW_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (created_at AT TIME ZONE %s)::date, count(*) FROM content_assets"
            " WHERE created_at >= %s GROUP BY 1",
            [display_zone().key, since],
        )
        counts = dict(cursor.fetchall())
    return {day: counts.get(day, 0) for day in calendar}


@pytest.mark.parametrize("zone", ["Europe/Paris", "Asia/Kathmandu", "America/St_Johns", "UTC"])
def test_content_per_day_equals_the_live_count(zone, settings):
    settings.ADMIN_TIME_ZONE = zone
    creators = [make_user(), make_user()]
    now = timezone.now()
    tz = display_zone()
    today = now.astimezone(tz).date()
    moments = [now, now - dt.timedelta(seconds=1)]
    for days_ago in (0, 1, 2, 15, 29, 30, 31):
        midnight = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(), tz)
        for offset in (-60, -1, 0, 1, 899, 900, 3600 * 13):
            at = midnight + dt.timedelta(seconds=offset)
            if at <= now:
                moments.append(at)
    assets = [make_asset(user=creators[i % 2], created_at=at) for i, at in enumerate(moments * 2)]
    ContentAsset.objects.filter(pk__in=[a.pk for a in assets[::5]]).delete()
    ContentAsset.objects.filter(pk__in=[a.pk for a in assets[1::7]]).update(
        created_at=now - dt.timedelta(days=3, minutes=7)
    )

    got = {day: assets for day, assets, _generations in content_and_generations_per_day()}
    live = _live_per_day()
    assert got == live
    assert sum(live.values()) > 20 and live[today] > 0
