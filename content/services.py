"""Writes with a business rule for content: assets, AI generation and its monthly quota."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from content import ai_client, prompts
from content.models import CONTENT_MAX, AiUsage, ContentAsset
from content.selectors import usage_month
from huntaze.db import connection_release
from huntaze.exceptions import DomainError, QuotaExceeded

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


# --- one generation: admit, then save or release -----------------------------------------------
#
# Both paths, the JSON answer (content_generate) and the streamed one (content_generate_stream),
# go through these three steps, so what a generation must pass before the model is called (the
# configuration, the user's monthly quota, and any future guard such as an instance budget) is
# decided in ``ai_generation_admit`` alone.


@dataclass(frozen=True)
class GenerationRequest:
    """What the creator asked for (``ContentGenerateInput``'s validated data)."""

    type: str
    prompt: str
    title: str | None = None
    category: str | None = None
    tags: list[str] | None = None

    @property
    def system(self) -> str:
        return prompts.system_prompt(self.type)


@dataclass
class AiReservation:
    """The quota slot taken for one generation: spent by ``ai_generation_save``, or given back
    by ``ai_generation_release`` (each at most once)."""

    user: Any
    month: Any
    done: bool = False


def ai_generation_admit(*, user) -> AiReservation:
    """Everything a generation must pass before the model is called: the configuration (503,
    nothing reserved), then one quota slot of the month (429 ``quota_exceeded``)."""
    if not ai_client.is_configured():
        raise ai_client.AiNotConfigured()
    month = usage_month()
    ai_usage_reserve(user=user, month=month)
    return AiReservation(user=user, month=month)


def ai_generation_release(*, reservation: AiReservation) -> None:
    """Give the slot back: the generation failed (never counted). Idempotent, never raises
    (the caller is already handling the generation's own error)."""
    if reservation.done:
        return
    reservation.done = True
    try:
        ai_usage_release(user=reservation.user, month=reservation.month)
    except Exception:
        logger.exception("could not release an AI quota slot")


def ai_generation_save(
    *, reservation: AiReservation, request: GenerationRequest, completion: ai_client.Completion
) -> ContentAsset:
    """Save the generated asset (the slot stays spent); on failure the slot is given back.

    The text is stored whole. ``MAX_OUTPUT_TOKENS`` keeps an answer far below ``CONTENT_MAX``
    (1,500 tokens are ~6,000 characters), but an answer Azure bills is never cut: one longer than
    the API's edit bound is kept as written and logged (docs/content.md).
    """
    if len(completion.text) > CONTENT_MAX:
        logger.warning(
            "ai generation longer than the content bound: chars=%s completion_tokens=%s",
            len(completion.text),
            completion.completion_tokens,
        )
    try:
        with transaction.atomic():
            asset = content_asset_create(
                user=reservation.user,
                title=request.title or title_from_prompt(request.prompt),
                content=completion.text,
                type=request.type,
                category=request.category,
                tags=request.tags,
                metadata={
                    "ai": {
                        "model": completion.model,
                        "prompt": request.prompt,
                        "prompt_tokens": completion.prompt_tokens,
                        "completion_tokens": completion.completion_tokens,
                    }
                },
            )
    except BaseException:
        ai_generation_release(reservation=reservation)
        raise
    reservation.done = True
    logger.info(
        "ai generation: type=%s prompt_tokens=%s completion_tokens=%s",
        request.type,
        completion.prompt_tokens,
        completion.completion_tokens,
    )
    return asset


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


def content_generate(*, user, request: GenerationRequest) -> ContentAsset:
    """Generate a new asset with the AI model and answer it whole (the JSON path).

    Order: admission (configuration 503, quota 429), the model call outside any transaction and
    without holding a database connection (503 on failure), then the asset. Any failure after
    admission gives the slot back, so failed generations never count and nothing is half-written.
    """
    reservation = ai_generation_admit(user=user)
    try:
        connection_release()
        completion = ai_client.chat_complete(system=request.system, prompt=request.prompt)
    except BaseException:
        ai_generation_release(reservation=reservation)
        raise
    return ai_generation_save(reservation=reservation, request=request, completion=completion)


def content_generate_stream(*, user, request: GenerationRequest) -> GenerationEvents:
    """Admit a generation now (its errors are raised here, before any byte is answered) and
    return the events of the model writing it (``GenerationEvents``)."""
    reservation = ai_generation_admit(user=user)
    return GenerationEvents(reservation=reservation, request=request)


class GenerationEvents:
    """The streamed path: iterate ``("delta", text)`` as the model writes, then exactly one
    ``("done", asset)`` or ``("error", exception)``.

    The slot reserved by ``ai_generation_admit`` is spent when the asset is saved and given back
    when the generation fails. When the client hangs up (the server calls ``close()`` on a write
    that fails), nothing is lost: a model already writing is read to the end (within the same
    45 s deadline) and its text saved as the asset, since Azure bills it; the slot stays spent.
    A stream closed before the model was called gives its slot back. docs/content.md, Streaming.
    """

    def __init__(self, *, reservation: AiReservation, request: GenerationRequest) -> None:
        self.reservation = reservation
        self.request = request
        self.asset: ContentAsset | None = None
        self.disconnected = False
        self._stream: ai_client.ChatStream | None = None
        self._events = self._run()
        self._started = False

    def __iter__(self) -> GenerationEvents:
        return self

    def __next__(self) -> tuple[str, Any]:
        self._started = True
        return next(self._events)

    def close(self) -> None:
        """The response is closed: at the end, or because the client hung up."""
        if not self._started:
            ai_generation_release(reservation=self.reservation)
        self._events.close()

    def _run(self) -> Iterator[tuple[str, Any]]:
        try:
            connection_release()
            self._stream = ai_client.chat_stream(
                system=self.request.system, prompt=self.request.prompt
            )
            for text in self._stream:
                yield "delta", text
            self.asset = ai_generation_save(
                reservation=self.reservation,
                request=self.request,
                completion=self._stream.completion,
            )
            yield "done", self.asset
        except GeneratorExit:
            self._finish_without_client()
            raise
        except Exception as exc:
            ai_generation_release(reservation=self.reservation)
            if not isinstance(exc, DomainError):
                logger.exception("ai generation stream failed")
            yield "error", exc

    def _finish_without_client(self) -> None:
        """The client left mid-stream: read the model's answer to its end and keep it."""
        if self.asset is not None or self.reservation.done:
            return  # saved already (the client left during the ``done`` event), or released
        self.disconnected = True
        stream = self._stream
        if stream is None:
            ai_generation_release(reservation=self.reservation)
            return
        try:
            for _text in stream:
                pass
            self.asset = ai_generation_save(
                reservation=self.reservation, request=self.request, completion=stream.completion
            )
        except Exception as exc:
            ai_generation_release(reservation=self.reservation)
            logger.warning("ai generation stream: client gone, then %s", type(exc).__name__)
            return
        logger.info("ai generation stream: client gone, answer kept as asset %s", self.asset.pk)
