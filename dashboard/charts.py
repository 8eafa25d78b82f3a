"""Server-side SVG charts for the Beta dashboard: no JavaScript, no CDN, no static library.

Each function returns inline SVG markup (``SafeString``) built with ``format_html``, so every
label is escaped. Charts scale to their container (``viewBox`` + ``width: 100%``), carry a
``<title>`` for screen readers and a ``<title>`` per bar or point for a hover tooltip.

Figures and dates read as on the rest of the page, in the active language (``huntaze.l10n``):
``4 737`` / ``4,737``, ``07/12`` / ``12-07``, ``12,50 $`` / ``$12.50``. An axis that counts
(people, assets) has whole-number ticks only: no "2,5" creators.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from huntaze.l10n import number, percent, usd

BLUE = "#2563eb"
GREEN = "#16a34a"
ORANGE = "#ea580c"
RED = "#dc2626"
GREY = "#9ca3af"
LIGHT = "#e5e7eb"
TEXT = "#374151"

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 58, 8, 10, 24
MAX_INTERVALS = 5  # at most this many steps between ticks on a value axis


def axis_ticks(peak: float, *, whole: bool) -> list[float]:
    """Ticks from 0 to a round top at or above ``peak``, at most ``MAX_INTERVALS`` steps of
    1, 2 or 5 x 10^n; ``whole`` (an axis that counts) keeps the steps whole numbers."""
    peak = max(float(peak), 0.0)
    if peak == 0:
        return [0, 1] if whole else [0.0, 1.0]
    magnitude = 10 ** math.floor(math.log10(peak / MAX_INTERVALS))
    step = next(
        m * magnitude
        for m in (1, 2, 5, 10)
        if math.ceil(peak / (m * magnitude) - 1e-9) <= MAX_INTERVALS
    )
    if whole:
        step = max(1, round(step))
    intervals = max(1, math.ceil(peak / step - 1e-9))
    return [step * n for n in range(intervals + 1)]


def _day_label(day: dt.date) -> str:
    return formats.date_format(day, "MONTH_DAY_FORMAT")


def _date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _labelled(label: str, value: str) -> str:
    """``label : value`` (French typography) / ``label: value``."""
    return gettext("%(label)s : %(value)s") % {"label": label, "value": value}


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


def _axes(ticks: Sequence[float], days: Sequence[dt.date], label: Callable) -> SafeString:
    """Horizontal grid lines with the value ``ticks`` (``label`` formats them) and three day
    labels (first, middle, last)."""
    plot_h = HEIGHT - TOP - BOTTOM
    top = ticks[-1]
    parts = []
    for tick in ticks:
        y = TOP + plot_h * (1 - tick / top)
        parts.append(
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{c}"/>'
                '<text class="tick" x="{tx}" y="{ty}" text-anchor="end" fill="{tc}">{label}</text>',
                x1=LEFT,
                x2=WIDTH - RIGHT,
                y=round(y, 1),
                c=LIGHT,
                tx=LEFT - 4,
                ty=round(y + 4, 1),
                tc=TEXT,
                label=label(tick),
            )
        )
    if days:
        slot = (WIDTH - LEFT - RIGHT) / len(days)
        for index in sorted({0, len(days) // 2, len(days) - 1}):
            parts.append(
                format_html(
                    '<text class="day" x="{x}" y="{y}" text-anchor="middle" fill="{c}">{label}</text>',
                    x=round(LEFT + slot * (index + 0.5), 1),
                    y=HEIGHT - 6,
                    c=TEXT,
                    label=_day_label(days[index]),
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
    """Bars per day, one bar per series side by side (``series``: ``(day, (v1, v2 …))``);
    counts, so whole-number ticks."""
    days = [day for day, _values in series]
    ticks = axis_ticks(max((max(values) for _day, values in series), default=0), whole=True)
    top = ticks[-1]
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
                    "<title>{d} · {t}</title></rect>",
                    x=round(LEFT + slot * index + slot * 0.1 + width * k, 1),
                    y=round(TOP + plot_h - h, 1),
                    w=round(width, 1),
                    h=round(h, 1),
                    c=colors[k % len(colors)],
                    d=_date(day),
                    t=_labelled(names[k], number(value)),
                )
            )
    body = _axes(ticks, days, lambda tick: number(tick)) + mark_safe("".join(bars))  # noqa: S308
    return _frame(title, body)


def _money_label(ticks: Sequence[float]) -> Callable:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    decimals = 0 if step >= 1 else 2 if step >= 0.01 else 3
    return lambda tick: usd(tick, decimals)


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
    ticks = axis_ticks(peak * 1.05, whole=False)
    top = ticks[-1]
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)

    def xy(index: int, value: float) -> str:
        return f"{LEFT + slot * (index + 0.5):.1f},{TOP + plot_h * (1 - value / top):.1f}"

    parts = [_axes(ticks, days, _money_label(ticks))]
    if budget is not None and budget > 0:
        for ratio, color in ((1, RED), (0.8, ORANGE)):
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
                    label=percent(ratio * 100, 0),
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
                '<circle cx="{x}" cy="{y}" r="3" fill="{c}"><title>{t}</title></circle>',
                x=x,
                y=y,
                c=BLUE,
                t=_labelled(_date(day), usd(value)),
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
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
        '<text class="value" x="{}" y="{}" fill="{}">{}</text>',
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
                _labelled(label, number(value)),
                round(label_w + span * value / top + 6, 1),
                TOP + i * (row_h + gap) + row_h / 2 + 4,
                TEXT,
                number(value),
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
            "<title>{v}</title></rect>",
            x=LEFT,
            y=bar_y,
            w=round(spent_w, 1),
            h=bar_h,
            c=color,
            v=usd(spent),
        ),
        format_html(
            '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}" opacity="0.5">'
            "<title>{v}</title></rect>",
            x=round(LEFT + spent_w, 1),
            y=bar_y,
            w=round(reserved_w, 1),
            h=bar_h,
            c=GREY,
            v=usd(reserved),
        ),
    ]
    if budget:
        x80 = LEFT + span * float(budget) * 0.8 / top
        x100 = LEFT + span * float(budget) / top
        parts.append(
            format_html(
                '<line x1="{x}" x2="{x}" y1="8" y2="{y2}" stroke="{c}" stroke-width="2"/>'
                '<text x="{x}" y="{ty}" text-anchor="middle" fill="{c}">{label}</text>'
                '<line x1="{x1}" x2="{x1}" y1="8" y2="{y2}" stroke="{c1}" stroke-width="2"/>',
                x=round(x80, 1),
                y2=bar_y + bar_h + 4,
                ty=height - 4,
                c=ORANGE,
                label=percent(80, 0),
                x1=round(x100, 1),
                c1=RED,
            )
        )
    return _frame(title, mark_safe("".join(parts)), height=height)  # noqa: S308
