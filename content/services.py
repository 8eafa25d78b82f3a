"""Writes with a business rule for content: assets, AI generation and its monthly quota."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from content import ai_client, ai_usage, prompts
from content.models import CONTENT_MAX, ContentAsset
from huntaze import metrics
from huntaze.db import connection_release
from huntaze.exceptions import DomainError

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


# --- AI generation: admit, then save or release -------------------------------------------------
#
# Both paths, the JSON answer (content_generate) and the streamed one (content_generate_stream),
# go through these three steps, so what a generation must pass before the model is called (the
# configuration, the user's monthly quota, the instance's AI budget: content/ai_usage.py) is
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


def ai_generation_admit(*, user, request: GenerationRequest) -> ai_usage.Reservation:
    """Everything a generation must pass before the model is called: the configuration (503,
    nothing reserved), then ``content.ai_usage``'s admission: the user's monthly quota slot
    (429 ``quota_exceeded``) and the month's AI budget (503), both or neither."""
    if not ai_client.is_configured():
        metrics.ai_generation_observe(outcome="not_configured")
        raise ai_client.AiNotConfigured()
    return ai_usage.ai_generation_admit(user=user, prompt=request.prompt, system=request.system)


def ai_generation_save(
    *,
    user,
    reservation: ai_usage.Reservation,
    request: GenerationRequest,
    completion: ai_client.Completion,
) -> ContentAsset:
    """Save the generated asset and settle its tokens on the budget, in one transaction (the
    slot stays spent). When that fails (the database refuses the row, the connection drops, a
    lock bound is reached), the slot and the reservation are given back and the tokens Azure
    billed for the answer are still recorded on the month's budget (``ai_generation_release``:
    at once, through the job queue, or retried from this process while the database is away).

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
                user=user,
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
            ai_usage.ai_generation_settle(
                reservation=reservation, asset=asset, completion=completion
            )
    except BaseException as exc:
        ai_usage.ai_generation_release(
            reservation=reservation,
            error=exc,
            billed=(completion.prompt_tokens, completion.completion_tokens),
        )
        raise
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
    reservation = ai_generation_admit(user=user, request=request)
    try:
        connection_release()
        completion = ai_client.chat_complete(system=request.system, prompt=request.prompt)
    except BaseException as exc:
        ai_usage.ai_generation_release(reservation=reservation, error=exc)
        raise
    return ai_generation_save(
        user=user, reservation=reservation, request=request, completion=completion
    )


def content_generate_stream(*, user, request: GenerationRequest) -> GenerationEvents:
    """Admit a generation now (its errors are raised here, before any byte is answered) and
    return the events of the model writing it (``GenerationEvents``)."""
    reservation = ai_generation_admit(user=user, request=request)
    return GenerationEvents(user=user, reservation=reservation, request=request)


class GenerationEvents:
    """The streamed path: iterate ``("delta", text)`` as the model writes, then exactly one
    ``("done", asset)`` or ``("error", exception)``.

    The slot reserved by ``ai_generation_admit`` is spent when the asset is saved and given back
    when the generation fails. When the client hangs up (the server calls ``close()`` on a write
    that fails), nothing is lost: a model already writing is read to the end (within the same
    45 s deadline) and its text saved as the asset, since Azure bills it; the slot stays spent.
    A stream closed before the model was called gives its slot back. docs/content.md, Streaming.
    """

    def __init__(
        self, *, user, reservation: ai_usage.Reservation, request: GenerationRequest
    ) -> None:
        self.user = user
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
            ai_usage.ai_generation_release(reservation=self.reservation, outcome="cancelled")
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
                user=self.user,
                reservation=self.reservation,
                request=self.request,
                completion=self._stream.completion,
            )
            yield "done", self.asset
        except GeneratorExit:
            self._finish_without_client()
            raise
        except Exception as exc:
            ai_usage.ai_generation_release(
                reservation=self.reservation, error=exc, billed=self._billed()
            )
            if not isinstance(exc, DomainError):
                # Logged here, with its traceback; the error event's body is built without
                # logging it again (huntaze.exceptions.error_response_for).
                logger.exception("ai generation stream failed")
            yield "error", exc

    def _billed(self) -> tuple[int, int]:
        return self._stream.billed() if self._stream is not None else (0, 0)

    def _finish_without_client(self) -> None:
        """The client left mid-stream: read the model's answer to its end and keep it."""
        if self.asset is not None or self.reservation.done:
            return  # saved already (the client left during the ``done`` event), or released
        self.disconnected = True
        stream = self._stream
        if stream is None:
            ai_usage.ai_generation_release(reservation=self.reservation, outcome="cancelled")
            return
        try:
            for _text in stream:
                pass
            self.asset = ai_generation_save(
                user=self.user,
                reservation=self.reservation,
                request=self.request,
                completion=stream.completion,
            )
        except Exception as exc:
            ai_usage.ai_generation_release(
                reservation=self.reservation, error=exc, billed=self._billed()
            )
            logger.warning("ai generation stream: client gone, then %s", type(exc).__name__)
            return
        logger.info("ai generation stream: client gone, answer kept as asset %s", self.asset.pk)
