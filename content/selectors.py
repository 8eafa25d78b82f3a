"""Reads with a rule for content: owner-only assets, filters, search, AI usage."""

from __future__ import annotations

import datetime as dt
import functools
import uuid

from django.db.models import Q, QuerySet, Value
from django.db.models.lookups import Contains
from django.utils import timezone

from content.models import AiUsage, ContentAsset, CreatorContentCount, SearchFold
from huntaze.reads import ModelColumns, column, fetch_all, fetch_one, table


def usage_month(now: dt.datetime | None = None) -> dt.date:
    """The first day of the current calendar month in UTC: the key of the AI quota counter."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    return now.date().replace(day=1)


def ai_generations_this_month(*, user) -> int:
    """Successful AI generations of ``user`` in the current calendar month (UTC).

    Reads the quota counter (``AiUsage``): it is what the quota is enforced on, failed
    generations are released from it, and deleting an asset does not give a generation back.
    (A generation in flight counts from the moment its slot is reserved.)
    """
    row = (
        AiUsage.objects.filter(user=user, month=usage_month())
        .values_list("count", flat=True)
        .first()
    )
    return int(row or 0)


def user_content_stats_sql(user_id: str) -> dict[str, str]:
    """``content_count`` and ``ai_generations_this_month`` of the user whose id is the SQL
    expression ``user_id``, each a scalar subquery: the profile's one read puts them in its
    SELECT list, the staff's user page annotates with them (``RawSQL``). The count is every
    asset of the user; the generations are the quota counter of one month, the only
    parameter (of ``ai_generations_this_month``): the quota month, ``usage_month()``.

    The count is read from ``content_creator_counts``, kept exact by triggers in the writing
    transaction (migration 0008, content/counts.py): one primary-key lookup, the same cost for a
    creator with 50,000 assets as for one with none, where ``count(*)`` read every one."""
    counts, usage = table(CreatorContentCount), table(AiUsage)
    # S608: the SQL text holds model metadata and ``user_id`` (a column), never input.
    return {
        "content_count": (
            f"COALESCE((SELECT {column(CreatorContentCount, 'count', 'k')}"  # noqa: S608
            f" FROM {counts} k WHERE {column(CreatorContentCount, 'user_id', 'k')} = {user_id}),"
            " 0)"
        ),
        "ai_generations_this_month": (
            f"COALESCE((SELECT {column(AiUsage, 'count', 'n')} FROM {usage} n"  # noqa: S608
            f" WHERE {column(AiUsage, 'user', 'n')} = {user_id}"
            f" AND {column(AiUsage, 'month', 'n')} = %s), 0)"
        ),
    }


def search_q(q: str) -> Q:
    """``q`` as a substring of the title or the content, ignoring case and accents.

    ``search_fold(col) LIKE '%' || search_fold(q) || '%'`` (LIKE wildcards in ``q`` escaped):
    the left side is the expression the owner-leading trigram GIN indexes
    ``content_title_owner_trgm`` and ``content_body_owner_trgm`` hold after ``user_id``, and the
    right side folds to a constant when the query is planned, so PostgreSQL can use them with
    the owner. "lumiere" finds "Lumière", "COEUR" finds "cœur".
    """
    folded = SearchFold(Value(q))
    return Q(Contains(SearchFold("title"), folded)) | Q(Contains(SearchFold("content"), folded))


def content_asset_list(
    *,
    user,
    type: str | None = None,
    category: str | None = None,
    tags: list[str] | None = None,
    q: str | None = None,
) -> QuerySet[ContentAsset]:
    """The assets of ``user``, newest first (``created_at`` then ``id``, a stable order): the
    list's rule as a queryset. The endpoint runs it as plain SQL (``AssetListPage``), pinned to
    this queryset by ``tests/foundation/test_reads.py``.

    ``category``: equal ignoring case ("Mode" finds "mode").
    ``tags``: the asset has all of them (array containment, GIN ``content_tags_gin``).
    ``q``: substring of the title or the content, ignoring case and accents (``search_q``).
    """
    qs = ContentAsset.objects.filter(user=user)
    if type:
        qs = qs.filter(type=type)
    if category:
        qs = qs.filter(category__iexact=category)
    if tags:
        qs = qs.filter(tags__contains=tags)
    if q:
        qs = qs.filter(search_q(q))
    return qs.order_by("-created_at", "-id")


ASSET_COLUMNS = ModelColumns(ContentAsset, "a")
_ASSETS = table(ContentAsset)
# search_q's SQL, for the plain reads below: ``search_fold(col)`` LIKE the folded query with its
# LIKE wildcards escaped, what Django writes for ``Contains(SearchFold(col), SearchFold(q))``.
_FOLDED_CONTAINS = (
    "search_fold({col})::text LIKE '%%' || REPLACE(REPLACE(REPLACE((search_fold(%s)),"
    r" E'\\', E'\\\\'), E'%%', E'\\%%'), E'_', E'\\_') || '%%'"
)


@functools.cache
def _asset_list_sql(with_type: bool, with_category: bool, tag_count: int, with_q: bool) -> str:
    """``content_asset_list``'s query for one shape of filters (which are given, how many
    tags), as plain SQL: the user, the filter values, LIMIT and OFFSET are its parameters."""
    where = [f"{column(ContentAsset, 'user', 'a')} = %s"]
    if with_type:
        where.append(f"{column(ContentAsset, 'type', 'a')} = %s")
    if with_category:
        where.append(f"UPPER({column(ContentAsset, 'category', 'a')}::text) = UPPER(%s)")
    if tag_count:
        tags = ", ".join(["%s"] * tag_count)
        where.append(f"{column(ContentAsset, 'tags', 'a')} @> (ARRAY[{tags}])::varchar[]")
    if with_q:
        title = _FOLDED_CONTAINS.format(col=column(ContentAsset, "title", "a"))
        body = _FOLDED_CONTAINS.format(col=column(ContentAsset, "content", "a"))
        where.append(f"({title} OR {body})")
    order = (
        f"{column(ContentAsset, 'created_at', 'a')} DESC, {column(ContentAsset, 'id', 'a')} DESC"
    )
    # S608: the SQL text holds model metadata and constants only, never input.
    return (
        f"SELECT {ASSET_COLUMNS.sql} FROM {_ASSETS} a WHERE {' AND '.join(where)}"  # noqa: S608
        f" ORDER BY {order} LIMIT %s OFFSET %s"
    )


class AssetListPage:
    """``content_asset_list`` as one plain query per page (``_asset_list_sql``): the paginator
    slices it like the queryset, and each slice runs with the user, the filter values, LIMIT and
    OFFSET as parameters (no queryset built per request). Pinned to the queryset by
    ``tests/foundation/test_reads.py`` for every shape of filters."""

    def __init__(self, *, user_id, type=None, category=None, tags=None, q=None) -> None:
        self.sql = _asset_list_sql(bool(type), bool(category), len(tags or ()), bool(q))
        # A search is planned for its values at each execution, never generically
        # (``huntaze.reads.planned_for_each_execution``; docs/content.md, Search).
        self.custom_plan = bool(q)
        self.values = [
            user_id,
            *(v for v in (type, category) if v),
            *(tags or ()),
            *([q, q] if q else []),
        ]

    def __getitem__(self, bounds: slice) -> list[ContentAsset]:
        start = bounds.start or 0
        rows = fetch_all(
            self.sql, [*self.values, bounds.stop - start, start], custom_plan=self.custom_plan
        )
        return [ASSET_COLUMNS.instance(row) for row in rows]


_ASSET_OF_USER = (
    f"SELECT {ASSET_COLUMNS.sql} FROM {_ASSETS} a"  # noqa: S608 - no input in the SQL text
    f" WHERE {column(ContentAsset, 'user', 'a')} = %s AND {column(ContentAsset, 'id', 'a')} = %s"
)


def content_asset_get(*, user, asset_id: str) -> ContentAsset | None:
    """One asset of ``user`` by its public id; ``None`` for a malformed id or another's asset.
    One plain query (``ContentAsset.objects.filter(user=user, pk=pk)``)."""
    try:
        pk = uuid.UUID(str(asset_id))
    except (TypeError, ValueError, AttributeError):
        return None
    row = fetch_one(_ASSET_OF_USER, [user.pk, pk])
    return None if row is None else ASSET_COLUMNS.instance(row)
