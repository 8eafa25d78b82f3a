"""Server-side SVG charts for the Beta dashboard: no JavaScript, no CDN, no static library.

Each function returns inline SVG markup (``SafeString``) built with ``format_html``, so every
label is escaped. Charts scale to their container (``viewBox`` + ``width: 100%``), carry a
``<title>`` for screen readers and a ``<title>`` per bar or point for a hover tooltip.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

BLUE = "#2563eb"
GREEN = "#16a34a"
ORANGE = "#ea580c"
RED = "#dc2626"
GREY = "#9ca3af"
LIGHT = "#e5e7eb"
TEXT = "#374151"

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 10, 24


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _frame(title: str, body: SafeString, *, height: int = HEIGHT) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" '
        'xmlns="http://www.w3.org/2000/svg" style="width:100%;height:auto;font:11px sans-serif">'
        "<title>{t}</title>{b}</svg>",
        w=WIDTH,
        h=height,
        t=title,
        b=body,
    )


def _axes(top: float, days: Sequence[dt.date], fmt: str = "{:g}") -> SafeString:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{c}"/>'
                '<text x="{tx}" y="{ty}" text-anchor="end" fill="{tc}">{label}</text>',
                x1=LEFT,
                x2=WIDTH - RIGHT,
                y=round(y, 1),
                c=LIGHT,
                tx=LEFT - 4,
                ty=round(y + 4, 1),
                tc=TEXT,
                label=fmt.format(top * fraction),
            )
        )
    if days:
        slot = (WIDTH - LEFT - RIGHT) / len(days)
        for index in sorted({0, len(days) // 2, len(days) - 1}):
            parts.append(
                format_html(
                    '<text x="{x}" y="{y}" text-anchor="middle" fill="{c}">{label}</text>',
                    x=round(LEFT + slot * (index + 0.5), 1),
                    y=HEIGHT - 6,
                    c=TEXT,
                    label=days[index].strftime("%d/%m"),
                )
            )
    return mark_safe("".join(parts))  # noqa: S308 (every part was built by format_html)


def daily_bars(
    title: str,
    series: Sequence[tuple[dt.date, Sequence[int]]],
    *,
    names: Sequence[str],
    colors: Sequence[str] = (BLUE, GREEN),
) -> SafeString:
    """Bars per day, one bar per series side by side (``series``: ``(day, (v1, v2 …))``)."""
    days = [day for day, _values in series]
    top = _nice_max(max((max(values) for _day, values in series), default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(series), 1)
    width = slot * 0.8 / max(len(names), 1)
    bars = []
    for index, (day, values) in enumerate(series):
        for k, value in enumerate(values):
            h = plot_h * value / top
            bars.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}">'
                    "<title>{d} · {n} : {v}</title></rect>",
                    x=round(LEFT + slot * index + slot * 0.1 + width * k, 1),
                    y=round(TOP + plot_h - h, 1),
                    w=round(width, 1),
                    h=round(h, 1),
                    c=colors[k % len(colors)],
                    d=day.strftime("%d/%m/%Y"),
                    n=names[k],
                    v=value,
                )
            )
    body = _axes(top, days) + mark_safe("".join(bars))  # noqa: S308
    return _frame(title, body)


def cumulative_line(
    title: str,
    points: Sequence[tuple[dt.date, Decimal]],
    *,
    budget: Decimal | None,
    last_day: dt.date,
) -> SafeString:
    """The month's cumulative cost (USD) day by day, with the budget and its 80 % mark."""
    first = points[0][0] if points else last_day.replace(day=1)
    days = [first + dt.timedelta(days=n) for n in range((last_day - first).days + 1)]
    peak = max([float(v) for _d, v in points] + [float(budget or 0)], default=0)
    top = _nice_max(peak * 1.05)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)

    def xy(index: int, value: float) -> str:
        return f"{LEFT + slot * (index + 0.5):.1f},{TOP + plot_h * (1 - value / top):.1f}"

    parts = [_axes(top, days, "{:g} $" if top >= 10 else "{:.2f} $" if top >= 0.1 else "{:.3f} $")]
    if budget is not None and budget > 0:
        for ratio, color, label in ((1, RED, "100 %"), (0.8, ORANGE, "80 %")):
            y = TOP + plot_h * (1 - float(budget) * ratio / top)
            parts.append(
                format_html(
                    '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{c}" '
                    'stroke-dasharray="4 3"/><text x="{x2}" y="{ty}" text-anchor="end" '
                    'fill="{c}">{label}</text>',
                    x1=LEFT,
                    x2=WIDTH - RIGHT,
                    y=round(y, 1),
                    ty=round(y - 3, 1),
                    c=color,
                    label=label,
                )
            )
    if points:
        parts.append(
            format_html(
                '<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}"/>',
                c=BLUE,
                p=" ".join(xy(i, float(v)) for i, (_d, v) in enumerate(points)),
            )
        )
        day, value = points[-1]
        x, y = xy(len(points) - 1, float(value)).split(",")
        parts.append(
            format_html(
                '<circle cx="{x}" cy="{y}" r="3" fill="{c}"><title>{d} : {v} $</title></circle>',
                x=x,
                y=y,
                c=BLUE,
                d=day.strftime("%d/%m/%Y"),
                v=f"{value:.2f}",
            )
        )
    return _frame(title, mark_safe("".join(parts)))  # noqa: S308


def horizontal_bars(
    title: str, rows: Sequence[tuple[str, int]], *, colors: Sequence[str] = (BLUE,)
) -> SafeString:
    """One labelled bar per row (a funnel, a plan mix), scaled to the largest."""
    row_h, gap, label_w = 26, 8, 150
    height = TOP + len(rows) * (row_h + gap) + 4
    top = max((value for _label, value in rows), default=0) or 1
    span = WIDTH - label_w - RIGHT - 60
    parts = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} : {}</title></rect>'
        '<text x="{}" y="{}" fill="{}">{}</text>',
        (
            (
                label_w - 6,
                TOP + i * (row_h + gap) + row_h / 2 + 4,
                TEXT,
                label,
                label_w,
                TOP + i * (row_h + gap),
                round(max(span * value / top, 1 if value else 0), 1),
                row_h,
                colors[i % len(colors)],
                label,
                value,
                round(label_w + span * value / top + 6, 1),
                TOP + i * (row_h + gap) + row_h / 2 + 4,
                TEXT,
                value,
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    return _frame(title, parts, height=height)


def gauge(title: str, *, spent: Decimal, reserved: Decimal, budget: Decimal | None) -> SafeString:
    """A bar of the month's spend (and reservations in flight) against the budget, with the
    80 % mark."""
    height, bar_y, bar_h = 56, 14, 22
    span = WIDTH - LEFT - RIGHT
    top = float(max(budget or 0, spent + reserved)) or 1.0
    spent_w = span * float(spent) / top
    reserved_w = span * float(reserved) / top
    ratio = float(spent / budget) if budget else 0.0
    color = RED if ratio >= 1 else ORANGE if ratio >= 0.8 else GREEN
    parts = [
        format_html(
            '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}" rx="3"/>',
            x=LEFT,
            y=bar_y,
            w=span,
            h=bar_h,
            c=LIGHT,
        ),
        format_html(
            '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}" rx="3">'
            "<title>{v} $</title></rect>",
            x=LEFT,
            y=bar_y,
            w=round(spent_w, 1),
            h=bar_h,
            c=color,
            v=f"{spent:.2f}",
        ),
        format_html(
            '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}" opacity="0.5">'
            "<title>{v} $</title></rect>",
            x=round(LEFT + spent_w, 1),
            y=bar_y,
            w=round(reserved_w, 1),
            h=bar_h,
            c=GREY,
            v=f"{reserved:.2f}",
        ),
    ]
    if budget:
        x80 = LEFT + span * float(budget) * 0.8 / top
        x100 = LEFT + span * float(budget) / top
        parts.append(
            format_html(
                '<line x1="{x}" x2="{x}" y1="8" y2="{y2}" stroke="{c}" stroke-width="2"/>'
                '<text x="{x}" y="{ty}" text-anchor="middle" fill="{c}">80 %</text>'
                '<line x1="{x1}" x2="{x1}" y1="8" y2="{y2}" stroke="{c1}" stroke-width="2"/>',
                x=round(x80, 1),
                y2=bar_y + bar_h + 4,
                ty=height - 4,
                c=ORANGE,
                x1=round(x100, 1),
                c1=RED,
            )
        )
    return _frame(title, mark_safe("".join(parts)), height=height)  # noqa: S308
