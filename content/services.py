"""Writes with a business rule for content: assets, AI generation and its monthly quota."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction

from content import ai_client, ai_usage, prompts
from content.models import CONTENT_MAX, ContentAsset
from huntaze import metrics

logger = logging.getLogger("huntaze.content")

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

    Order: configuration (503, nothing reserved), admission (the quota slot, 429
    ``quota_exceeded``, and the month's AI budget, 503, in ``content/ai_usage.py``), the model
    call outside any transaction (503 on failure), then the asset with its tokens accounted.
    Any failure after admission gives the slot and the reservation back, so failed generations
    never count and nothing is half-written.
    """
    if not ai_client.is_configured():
        metrics.ai_generation_observe(outcome="not_configured")
        raise ai_client.AiNotConfigured()
    system = prompts.system_prompt(type)
    reservation = ai_usage.ai_generation_admit(user=user, prompt=prompt, system=system)
    try:
        completion = ai_client.chat_complete(system=system, prompt=prompt)
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
            ai_usage.ai_generation_settle(
                reservation=reservation, asset=asset, completion=completion
            )
    except BaseException as exc:
        ai_usage.ai_generation_release(reservation=reservation, error=exc)
        raise
    logger.info(
        "ai generation: type=%s prompt_tokens=%s completion_tokens=%s",
        type,
        completion.prompt_tokens,
        completion.completion_tokens,
    )
    return asset
