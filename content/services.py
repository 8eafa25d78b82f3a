"""Writes with a business rule for content: assets, AI generation and its monthly quota."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from content import ai_client, prompts
from content.models import CONTENT_MAX, AiUsage, ContentAsset
from content.selectors import usage_month
from huntaze.exceptions import QuotaExceeded

logger = logging.getLogger("huntaze.content")

UNLIMITED = -1
TITLE_FROM_PROMPT_MAX = 80
EDITABLE_FIELDS = ("title", "content", "type", "category", "tags", "metadata")


def content_asset_create(
    *,
    user,
    title: str,
    content: str,
    type: str,
    category: str | None = None,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> ContentAsset:
    return ContentAsset.objects.create(
        user=user,
        title=title,
        content=content,
        type=type,
        category=category or None,
        tags=list(tags or []),
        metadata=dict(metadata or {}),
    )


def content_asset_update(*, asset: ContentAsset, **changes: Any) -> ContentAsset:
    """Apply a partial update (only the editable fields given) in one UPDATE."""
    fields = [name for name in EDITABLE_FIELDS if name in changes]
    if not fields:
        return asset
    for name in fields:
        value = changes[name]
        if name == "category":
            value = value or None
        setattr(asset, name, value)
    asset.save(update_fields=[*fields, "updated_at"])
    return asset


def content_asset_delete(*, asset: ContentAsset) -> None:
    asset.delete()


# --- AI generation -----------------------------------------------------------------------------


def ai_monthly_quota(*, user) -> int:
    """Generations a month allowed by the user's plan (``-1``: unlimited), from settings."""
    plan = (getattr(user, "subscription", None) or "FREE").upper()
    return int(getattr(settings, f"AI_MONTHLY_QUOTA_{plan}", settings.AI_MONTHLY_QUOTA_FREE))


def ai_usage_reserve(*, user, month) -> None:
    """Take one generation slot of ``month`` for ``user`` or raise ``QuotaExceeded``.

    One statement, committed at once (we are not in a transaction here): the row is created
    at 1 or incremented only while ``count < quota``, so concurrent requests serialise on the
    row lock and at most ``quota`` of them get a slot. Unlimited plans are counted too (stats).
    """
    quota = ai_monthly_quota(user=user)
    if quota == 0:
        raise QuotaExceeded()
    table = AiUsage._meta.db_table
    now = timezone.now()
    sql = (
        f"INSERT INTO {table} AS u (user_id, month, count, created_at, updated_at) "  # noqa: S608
        "VALUES (%s, %s, 1, %s, %s) "
        "ON CONFLICT (user_id, month) DO UPDATE SET count = u.count + 1, updated_at = EXCLUDED.updated_at"
    )
    params: list[Any] = [user.pk, month, now, now]
    if quota != UNLIMITED:
        sql += " WHERE u.count < %s"
        params.append(quota)
    sql += " RETURNING u.count"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise QuotaExceeded()


def ai_usage_release(*, user, month) -> None:
    """Give back a slot taken by ``ai_usage_reserve`` (the generation failed)."""
    AiUsage.objects.filter(user=user, month=month, count__gt=0).update(
        count=F("count") - 1, updated_at=timezone.now()
    )


def title_from_prompt(prompt: str) -> str:
    """A readable default title: the prompt's first line, whitespace folded, cut on a word."""
    first = next((line for line in prompt.splitlines() if line.strip()), prompt)
    text = re.sub(r"\s+", " ", first).strip()
    if len(text) <= TITLE_FROM_PROMPT_MAX:
        return text or "Sans titre"
    cut = text[: TITLE_FROM_PROMPT_MAX - 1]
    if " " in cut[TITLE_FROM_PROMPT_MAX // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def content_generate(
    *,
    user,
    type: str,
    prompt: str,
    title: str | None = None,
    category: str | None = None,
    tags: list[str] | None = None,
) -> ContentAsset:
    """Generate a new asset of ``type`` from ``prompt`` with the AI model.

    Order: configuration (503, nothing reserved), quota slot (429 ``quota_exceeded``), the model
    call outside any transaction (503 on failure), then the asset. Any failure after the slot
    was taken gives it back, so failed generations never count and nothing is half-written.
    """
    if not ai_client.is_configured():
        raise ai_client.AiNotConfigured()
    month = usage_month()
    ai_usage_reserve(user=user, month=month)
    try:
        completion = ai_client.chat_complete(system=prompts.system_prompt(type), prompt=prompt)
        with transaction.atomic():
            asset = content_asset_create(
                user=user,
                title=title or title_from_prompt(prompt),
                content=completion.text[:CONTENT_MAX],
                type=type,
                category=category,
                tags=tags,
                metadata={
                    "ai": {
                        "model": completion.model,
                        "prompt": prompt,
                        "prompt_tokens": completion.prompt_tokens,
                        "completion_tokens": completion.completion_tokens,
                    }
                },
            )
    except BaseException:
        try:
            ai_usage_release(user=user, month=month)
        except Exception:
            logger.exception("could not release an AI quota slot")
        raise
    logger.info(
        "ai generation: type=%s prompt_tokens=%s completion_tokens=%s",
        type,
        completion.prompt_tokens,
        completion.completion_tokens,
    )
    return asset
