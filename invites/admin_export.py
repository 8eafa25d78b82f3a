"""CSV exports of the invite admin that open in Excel in French and English locales.

UTF-8 with a byte-order mark (without it Excel reads a CSV file in the system's legacy code
page: "lumiÃ¨re"), and the delimiter Excel expects: its list separator, ``;`` in French
locales and ``,`` in English ones (a comma-separated file opened one column wide in a French
Excel). Cells that a spreadsheet would run as a formula are prefixed with a quote.

- **For French Excel** (``;``): in French, for the staff who read it: French headers, statuses
  as the admin shows them ("En attente"), times in ``ADMIN_TIME_ZONE`` written as on the admin's
  pages (``27/11/2026 15:05``, which a French Excel reads as a date), the zone in the headers.
- **For English Excel and scripts** (``,``): the stable columns (``email,code,status,…``),
  statuses as the API writes them (``pending``) and times in UTC (``2026-11-27 14:05:00``,
  which Excel reads as a date in every locale): what scripts and spreadsheets already read.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from django.http import HttpResponse
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from huntaze.l10n import display_time_zone, display_zone
from invites.models import BetaInvite, InviteStatus

# CSV columns (stable names: spreadsheets and scripts read them); times in UTC.
CSV_COLUMNS = (
    "email",
    "code",
    "status",
    "created_at",
    "expires_at",
    "sent_at",
    "used_at",
    "used_by",
    "revoked_at",
    "send_count",
    "last_send_error",
)
TIME_COLUMNS = ("created_at", "expires_at", "sent_at", "used_at", "revoked_at")


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula; times in UTC, as Excel reads
    them in every locale (``2026-11-27 14:05:00``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _french_cell(value) -> str:
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return csv_cell(value)


def _french_headers() -> list[str]:
    zone = display_zone().key
    fields = {f.name: f for f in BetaInvite._meta.get_fields() if hasattr(f, "verbose_name")}
    headers = []
    for column in CSV_COLUMNS:
        if column == "status":
            headers.append(capfirst(_("statut")))
            continue
        label = capfirst(str(fields[column].verbose_name))
        if column in TIME_COLUMNS:
            label = f"{label} ({zone})"
        headers.append(label)
    return headers


def _rows(queryset, cell, status_text):
    for invite in queryset.select_related("used_by").order_by("-created_at"):
        yield [
            cell(invite.email),
            cell(invite.code),
            cell(status_text(invite.status)),
            cell(invite.created_at),
            cell(invite.expires_at),
            cell(invite.sent_at),
            cell(invite.used_at),
            cell(invite.used_by.email if invite.used_by else None),
            cell(invite.revoked_at),
            cell(invite.send_count),
            cell(invite.last_send_error or None),
        ]


def csv_export(queryset, *, delimiter: str) -> HttpResponse:
    """The selected invites as CSV, UTF-8 with a byte-order mark: ``;`` is the French export
    (French headers and statuses, times in ``ADMIN_TIME_ZONE``), ``,`` the stable English
    one (column names, status codes, UTC)."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invites-{stamp}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=delimiter)
    if delimiter == ";":
        with translation.override("fr"), display_time_zone():
            writer.writerow(_french_headers())
            writer.writerows(
                _rows(queryset, _french_cell, lambda status: str(InviteStatus(status).label))
            )
    else:
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_rows(queryset, csv_cell, str))
    return response
