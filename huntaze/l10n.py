"""How staff and creators read times and figures: the display time zone, numbers, percentages
and amounts in the active language (docs/admin.md, Time zone and formats).

Everything is stored, computed and served by the API in UTC (``TIME_ZONE``): ISO 8601 in the
API, UTC in the logs, the quotas' calendar month. What people read as a time of day — the admin,
the Beta dashboard, the emails — is shown in ``ADMIN_TIME_ZONE`` (Europe/Paris by default), and
the page says so (``display_zone_label``). One zone for the whole team rather than one per staff
member: the beta is run from Paris, and a time quoted from one screen to another ("the invite
sent at 18:06") must mean the same instant for everyone.

Numbers follow the active language's format (French ``4 737`` and ``86,7 %``, English
``4,737`` and ``86.7%``): templates use the ``huntaze_l10n`` filters, the dashboard's SVG charts
the functions below, so a figure reads the same in a card and on an axis.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.signals import setting_changed
from django.utils import formats, timezone
from django.utils.translation import gettext


@cache
def display_zone() -> ZoneInfo:
    """``ADMIN_TIME_ZONE`` (validated when the settings load)."""
    return ZoneInfo(settings.ADMIN_TIME_ZONE)


def _display_zone_clear(*, setting, **kwargs) -> None:
    if setting == "ADMIN_TIME_ZONE":
        display_zone.cache_clear()


setting_changed.connect(_display_zone_clear)


@contextmanager
def display_time_zone():
    """Render times in ``ADMIN_TIME_ZONE`` inside the block (admin requests, emails)."""
    with timezone.override(display_zone()):
        yield


def display_zone_label(at: dt.datetime | None = None) -> str:
    """``Europe/Paris (UTC+01:00)``: the zone and its offset at ``at`` (now by default), so a
    reader knows which times the page shows, summer time included."""
    zone = display_zone()
    offset = (at or timezone.now()).astimezone(zone).strftime("%z")
    return f"{zone.key} (UTC{offset[:3]}:{offset[3:]})"


def display_today() -> dt.date:
    """Today's date in the display zone (the dashboard's last day)."""
    return timezone.now().astimezone(display_zone()).date()


def number(value: int | float | Decimal | None, decimals: int = 0) -> str:
    """``4 737`` / ``4,737``: grouped, the active language's separators."""
    if value is None:
        return ""
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


def percent(value: int | float | Decimal | None, decimals: int = 1) -> str:
    """``86,7 %`` / ``86.7%``."""
    if value is None:
        return ""
    # A no-break space before "%" in French (the source string holds it, not an escape, so
    # that gettext's extractor sees the same text).
    pattern = gettext("%(number)s %%")  # noqa: RUF001
    return pattern % {"number": number(value, decimals)}


def usd(value: int | float | Decimal | None, decimals: int = 2) -> str:
    """An amount in US dollars: ``239,17 $`` / ``$239.17``."""
    if value is None:
        return ""
    pattern = gettext("%(amount)s $")  # noqa: RUF001
    return pattern % {"amount": number(value, decimals)}
