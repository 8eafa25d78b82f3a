"""Reads with a rule for content: owner-only assets, filters, search, AI usage."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Contains
from django.utils import timezone

from content.models import AiUsage, ContentAsset, SearchFold
from huntaze.compiled import UUID_SENTINEL, UUID_SENTINEL_2, CompiledQuery


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


def user_content_stats_annotations(
    user_ref: str = "pk", month: dt.date | None = None
) -> dict[str, Subquery]:
    """``content_count`` and ``ai_generations_this_month`` as subqueries on a user queryset, so
    the profile reads the user and both figures in one query (``user_ref`` names the user id;
    ``month``, the quota month, defaults to the current one)."""
    assets = (
        ContentAsset.objects.filter(user=OuterRef(user_ref))
        .order_by()
        .values("user")
        .annotate(n=Count("*"))
        .values("n")
    )
    usage = AiUsage.objects.filter(user=OuterRef(user_ref), month=month or usage_month()).values(
        "count"
    )
    return {
        "content_count": Coalesce(Subquery(assets[:1]), 0),
        "ai_generations_this_month": Coalesce(Subquery(usage[:1]), 0),
    }


def search_q(q: str) -> Q:
    """``q`` as a substring of the title or the content, ignoring case and accents.

    ``search_fold(col) LIKE '%' || search_fold(q) || '%'`` (LIKE wildcards in ``q`` escaped):
    the left side is the expression the trigram GIN indexes ``content_title_fold_trgm`` and
    ``content_body_fold_trgm`` hold, and the right side folds to a constant when the query is
    planned, so PostgreSQL can use them. "lumiere" finds "Lumière", "COEUR" finds "cœur".
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
    """The assets of ``user``, newest first (``created_at`` then ``id``, a stable order).

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


# Stand-ins for the list's filter values while its queries are compiled (never sent).
_TYPE, _CATEGORY, _Q = "\x00type", "\x00category", "\x00q"


def _tag_sentinels(count: int) -> list[str]:
    return [f"\x00tag{i}" for i in range(count)]


class CompiledAssetList:
    """``content_asset_list`` compiled once per process for each shape of filters (which
    filters are given, and how many tags: each tag is one parameter of ``ARRAY[…]``), per
    ``huntaze.compiled``. The paginator slices it like the queryset; each slice is one query
    with the user, the filter values, LIMIT and OFFSET as parameters."""

    _queries: dict[tuple[bool, bool, int, bool], CompiledQuery] = {}

    def __init__(self, *, user_id, type=None, category=None, tags=None, q=None) -> None:
        self.key = (bool(type), bool(category), len(tags or ()), bool(q))
        self.values = [
            user_id,
            *(v for v in (type, category) if v),
            *(tags or ()),
            *([q] if q else []),
        ]

    @classmethod
    def _query(cls, key: tuple[bool, bool, int, bool]) -> CompiledQuery:
        query = cls._queries.get(key)
        if query is None:
            with_type, with_category, tag_count, with_q = key
            sentinels = [
                UUID_SENTINEL,
                *([_TYPE] if with_type else []),
                *([_CATEGORY] if with_category else []),
                *_tag_sentinels(tag_count),
                *([_Q] if with_q else []),
            ]

            def build(user_id, *values):
                given = iter(values)
                return content_asset_list(
                    user=user_id,
                    type=next(given) if with_type else None,
                    category=next(given) if with_category else None,
                    tags=[next(given) for _ in range(tag_count)] or None,
                    q=next(given) if with_q else None,
                )

            query = cls._queries.setdefault(
                key, CompiledQuery(build, *sentinels, limit_offset=True)
            )
        return query

    def __getitem__(self, bounds: slice) -> list[ContentAsset]:
        start = bounds.start or 0
        return self._query(self.key).fetch(*self.values, limit=bounds.stop - start, offset=start)


ASSET_OF_USER = CompiledQuery(
    lambda user_id, pk: ContentAsset.objects.filter(user=user_id, pk=pk),
    UUID_SENTINEL,
    UUID_SENTINEL_2,
)


def content_asset_get(*, user, asset_id: str) -> ContentAsset | None:
    """One asset of ``user`` by its public id; ``None`` for a malformed id or another's asset.

    One query, compiled once per process (``ASSET_OF_USER``)."""
    try:
        pk = uuid.UUID(str(asset_id))
    except (TypeError, ValueError, AttributeError):
        return None
    return ASSET_OF_USER.first(user.pk, pk)
