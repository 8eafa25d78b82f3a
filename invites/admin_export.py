"""CSV exports of the invite admin that open in Excel in French and English locales.

UTF-8 with a byte-order mark (without it Excel reads a CSV file in the system's legacy code
page: "lumiÃ¨re"), and the delimiter Excel expects: its list separator, ``;`` in French
locales and ``,`` in English ones (a comma-separated file opened one column wide in a French
Excel). Times are UTC, written ``2026-11-27 14:05:00``, which Excel reads as a date in both.
Cells that a spreadsheet would run as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from django.http import HttpResponse
from django.utils import timezone

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


def csv_export(queryset, *, delimiter: str) -> HttpResponse:
    """The selected invites as CSV: UTF-8 with a byte-order mark (without it Excel reads the
    file as the system's legacy code page), ``;`` for Excel in French (its list separator) or
    ``,`` for Excel in English."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invites-{stamp}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=delimiter)
    writer.writerow(CSV_COLUMNS)
    for invite in queryset.select_related("used_by").order_by("-created_at"):
        writer.writerow(
            [
                csv_cell(invite.email),
                csv_cell(invite.code),
                csv_cell(invite.status),
                csv_cell(invite.created_at),
                csv_cell(invite.expires_at),
                csv_cell(invite.sent_at),
                csv_cell(invite.used_at),
                csv_cell(invite.used_by.email if invite.used_by else None),
                csv_cell(invite.revoked_at),
                csv_cell(invite.send_count),
                csv_cell(invite.last_send_error or None),
            ]
        )
    return response
