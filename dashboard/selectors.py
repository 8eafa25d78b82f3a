"""The Beta dashboard's figures: one grouped query per chart (docs/operations.md).

Each function runs one SQL statement whose cost depends on the window it reads (30 days, this
month), not on how many creators or assets exist: series are grouped in PostgreSQL and read
through an index on their timestamp, never loaded row by row; the assets per day come from
counts maintained on write (``content_activity_buckets``), not from the assets.
``tests/dashboard/test_query_budget.py`` holds the page to the same number of queries with
10,000 creators x 200 assets as with ten.

Days are days of ``ADMIN_TIME_ZONE`` (Europe/Paris), like every time the admin shows; the AI
month is the budget's calendar month (UTC, as the quota), its days in that same zone. A day
without rows is filled with 0 here, not in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import creators_active_counts
from content.ai_usage import BudgetStatus, ai_budget_status, ai_cost_usd
from content.selectors import usage_month
from huntaze.db import database_ping
from huntaze.l10n import display_today, display_zone

WINDOW_DAYS = 30


def _days(since: dt.date, until: dt.date) -> list[dt.date]:
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def _window(days: int) -> tuple[dt.datetime, list[dt.date]]:
    """The start (midnight in the display zone) and the days of the last ``days`` days."""
    today = display_today()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime(first.year, first.month, first.day, tzinfo=display_zone())
    return start, _days(first, today)


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def signups_per_day(*, days: int = WINDOW_DAYS) -> list[tuple[dt.date, int]]:
    """Creators who signed up each day (soft-deleted ones included: they did sign up)."""
    since, calendar = _window(days)
    rows = _fetch(
        "SELECT (created_at AT TIME ZONE %s)::date, count(*) "
        "FROM users WHERE created_at >= %s AND role = %s GROUP BY 1",
        [display_zone().key, since, Role.CREATOR],
    )
    counts = dict(rows)
    return [(day, counts.get(day, 0)) for day in calendar]


def active_creators() -> dict[str, int]:
    """Creators (not deleted) active in the last 7 and 30 days, by the one definition the
    users' list filters with (``accounts.selectors.user_active_q``)."""
    counts = creators_active_counts(windows=(7, 30), now=timezone.now())
    return {"last_7_days": counts[7], "last_30_days": counts[30]}


def content_and_generations_per_day(*, days: int = WINDOW_DAYS) -> list[tuple[dt.date, int, int]]:
    """``(day, assets created, AI generations)``: assets of ``content_assets`` that exist (a
    generated asset is one of them), generations from the AI ledger (kept when an asset is
    deleted).

    The assets are read from ``content_activity_buckets``, the assets per quarter hour (UTC)
    that triggers keep exact in the writing transaction (migration 0008, content/counts.py): a
    day of the display zone is the sum of its 96 buckets (every zone's offset is whole quarter
    hours), today's included, so the read is at most 30 x 96 rows however many assets exist.
    ``tests/dashboard/test_aggregates.py`` pins it to the same count over ``content_assets``."""
    since, calendar = _window(days)
    rows = _fetch(
        "SELECT day, sum(assets)::int, sum(generations)::int FROM ("
        "  SELECT (bucket AT TIME ZONE %s)::date AS day, sum(assets) AS assets, 0 AS generations"
        "  FROM content_activity_buckets WHERE bucket >= %s GROUP BY 1"
        "  UNION ALL"
        "  SELECT (created_at AT TIME ZONE %s)::date, 0, count(*)"
        "  FROM content_ai_generations WHERE created_at >= %s GROUP BY 1"
        ") t GROUP BY day",
        [display_zone().key, since, display_zone().key, since],
    )
    by_day = {day: (assets, generations) for day, assets, generations in rows}
    return [(day, *by_day.get(day, (0, 0))) for day in calendar]


@dataclass
class AiMonth:
    status: BudgetStatus
    cumulative_cost: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    generations: int = 0


def ai_month() -> AiMonth:
    """This month's AI tokens, spend against the budget (one query) and the cumulative
    estimated cost day by day (one grouped query on the ledger)."""
    status = ai_budget_status()
    month = usage_month()
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    rows = _fetch(
        "SELECT (created_at AT TIME ZONE %s)::date, count(*), "
        "coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) "
        "FROM content_ai_generations WHERE created_at >= %s GROUP BY 1",
        [display_zone().key, start],
    )
    # The UTC month's days as the display zone sees them; a row dated outside them (west of
    # UTC the month's first hours are the previous evening) counts on the nearest one.
    days = _days(month, max(display_today(), month))
    by_day: dict[dt.date, tuple[int, int, int]] = {}
    for day, n, p, c in rows:
        day = min(max(day, days[0]), days[-1])
        before = by_day.get(day, (0, 0, 0))
        by_day[day] = (before[0] + n, before[1] + p, before[2] + c)
    total = Decimal(0)
    cumulative: list[tuple[dt.date, Decimal]] = []
    generations = 0
    for day in days:
        n, p, c = by_day.get(day, (0, 0, 0))
        generations += n
        total += ai_cost_usd(prompt_tokens=int(p), completion_tokens=int(c))
        cumulative.append((day, total))
    return AiMonth(status=status, cumulative_cost=cumulative, generations=generations)


PAYING = ("ACTIVE", "PAST_DUE")  # a past-due subscription is still expected to pay
YEARLY_AFTER = dt.timedelta(days=40)  # a billing period longer than this is a yearly plan


@dataclass
class Plans:
    mix: dict[str, int]
    paying: dict[str, int]
    mrr_usd: Decimal


def plans() -> Plans:
    """Plan mix of the creators (not deleted) and an MRR estimate from the subscription
    records: ACTIVE or PAST_DUE records at the configured plan prices, a yearly price counted
    as a twelfth a month (the interval is read from the record's billing period)."""
    rows = _fetch(
        "SELECT u.subscription, r.plan, r.status, "
        "(r.current_period_end - r.current_period_start) > %s AS yearly, count(*) "
        "FROM users u LEFT JOIN subscription_records r ON r.user_id = u.id "
        "WHERE u.role = %s AND u.deleted_at IS NULL GROUP BY 1, 2, 3, 4",
        [YEARLY_AFTER, Role.CREATOR],
    )
    mix: dict[str, int] = {"FREE": 0, "PRO": 0, "ENTERPRISE": 0}
    paying: dict[str, int] = {"PRO": 0, "ENTERPRISE": 0}
    mrr = Decimal(0)
    for subscription, plan, status, yearly, count in rows:
        mix[subscription] = mix.get(subscription, 0) + count
        if plan in paying and status in PAYING:
            paying[plan] += count
            if yearly:
                price = Decimal(str(getattr(settings, f"PLAN_PRICE_{plan}_YEARLY_USD"))) / 12
            else:
                price = Decimal(str(getattr(settings, f"PLAN_PRICE_{plan}_MONTHLY_USD")))
            mrr += price * count
    return Plans(mix=mix, paying=paying, mrr_usd=mrr.quantize(Decimal("0.01")))


@dataclass
class Database:
    healthy: bool
    latency_ms: float | None = None
    size_bytes: int | None = None
    connections: int | None = None
    server_version: str = ""


def database() -> Database:
    """``SELECT 1`` latency (the readiness probe's check) and the server's size and sessions."""
    try:
        latency = database_ping()
        row = _fetch(
            "SELECT pg_database_size(current_database()), "
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()), "
            "current_setting('server_version')",
            [],
        )[0]
    except DatabaseError:
        return Database(healthy=False)
    return Database(
        healthy=True,
        latency_ms=round(latency * 1000, 2),
        size_bytes=int(row[0]),
        connections=int(row[1]),
        server_version=str(row[2]),
    )
