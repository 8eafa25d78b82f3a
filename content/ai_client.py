"""Azure OpenAI chat completions: the only module that imports ``openai`` (docs/content.md).

Configuration: the key and endpoint come from the secrets loader at each call
(``runtime_secret("AZURE_OPENAI_API_KEY")``, ``runtime_secret("AZURE_OPENAI_ENDPOINT")``), so a
rotated key is picked up without a restart; the deployment and API version from settings
(``AZURE_OPENAI_DEPLOYMENT``, ``AZURE_OPENAI_API_VERSION``).

Time bounds: each attempt gets ``AI_REQUEST_TIMEOUT_SECONDS`` (15) and at most
``AI_MAX_RETRIES`` (2) retries follow a 429, a 5xx, a timeout or a connection error, with
exponential backoff (``AI_RETRY_BACKOFF_SECONDS`` 0.5, 1 … with jitter, or the server's
``Retry-After`` when it fits). The whole call never exceeds ``AI_TOTAL_DEADLINE_SECONDS`` (45):
each attempt's timeout is cut to the time left, and a retry whose wait would cross the deadline
is not made. The openai client's own retries are off (``max_retries=0``) so this loop is the only
one and the bound holds. (httpx timeouts are per network operation: a server that trickles one
byte at a time under the timeout could stretch one attempt; Azure does not do that.)

Every failure is an ``AiUnavailable`` (503 ``service_unavailable``), except a prompt refused by
Azure's content filter, which is the creator's input: ``AiPromptRejected`` (400).
"""

from __future__ import annotations

import functools
import logging
import math
import random
import threading
import time
from dataclasses import dataclass

import openai
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from huntaze.exceptions import ServiceUnavailable, ValidationFailed
from huntaze.secrets import runtime_secret

logger = logging.getLogger("huntaze.content.ai")

MAX_OUTPUT_TOKENS = 1500
_RETRYABLE = (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)


class AiUnavailable(ServiceUnavailable):
    default_message = _("Le service de génération IA est indisponible. Réessayez plus tard.")


class AiNotConfigured(AiUnavailable):
    default_message = _("Le service de génération IA n'est pas configuré.")


class AiPromptRejected(ValidationFailed):
    default_message = _("La demande a été refusée par le filtre de contenu.")


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int


def is_configured() -> bool:
    return bool(runtime_secret("AZURE_OPENAI_API_KEY") and runtime_secret("AZURE_OPENAI_ENDPOINT"))


@functools.lru_cache(maxsize=4)
def _client(endpoint: str, api_key: str, api_version: str, deployment: str) -> openai.AzureOpenAI:
    # One client (and its connection pool) per configuration; a rotated key makes a new one.
    return openai.AzureOpenAI(
        azure_endpoint=endpoint,
        api_key=api_key,
        api_version=api_version,
        azure_deployment=deployment,
        max_retries=0,
    )


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    raw = response.headers.get("retry-after-ms")
    divisor = 1000.0
    if raw is None:
        raw, divisor = response.headers.get("retry-after"), 1.0
    try:
        value = float(raw) / divisor if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


def _is_content_filter(exc: openai.BadRequestError) -> bool:
    body = exc.body if isinstance(exc.body, dict) else {}
    code = body.get("code") or (body.get("error") or {}).get("code")
    return getattr(exc, "code", None) == "content_filter" or code == "content_filter"


class _Deadline:
    """The overall bound of one generation, and what each attempt may still use."""

    MARGIN = 0.05

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def allows_wait(self, wait: float) -> bool:
        return time.monotonic() + wait < self.at - self.MARGIN


def _configured_client() -> tuple[openai.AzureOpenAI, str]:
    """The client for the current secrets and the deployment name; ``AiNotConfigured`` else."""
    endpoint = runtime_secret("AZURE_OPENAI_ENDPOINT")
    api_key = runtime_secret("AZURE_OPENAI_API_KEY")
    if not endpoint or not api_key:
        raise AiNotConfigured()
    deployment = settings.AZURE_OPENAI_DEPLOYMENT
    return _client(endpoint, api_key, settings.AZURE_OPENAI_API_VERSION, deployment), deployment


def _prompt_rejected() -> AiPromptRejected:
    return AiPromptRejected(fields={"prompt": [str(AiPromptRejected.default_message)]})


def _final_error(exc: openai.OpenAIError) -> Exception:
    """The error a non-retryable failure becomes: the content filter is the creator's input
    (400); anything else (a bad key, endpoint or deployment, a malformed answer) is a 503."""
    if isinstance(exc, openai.BadRequestError) and _is_content_filter(exc):
        return _prompt_rejected()
    logger.warning(
        "azure openai failed: %s status=%s", type(exc).__name__, getattr(exc, "status_code", None)
    )
    return AiUnavailable()


def _backoff(exc: Exception, attempt: int) -> float:
    """The wait before the next attempt: the server's Retry-After, else exponential backoff."""
    wait = _retry_after(exc)
    if wait is None:
        base = float(settings.AI_RETRY_BACKOFF_SECONDS)
        wait = base * (2**attempt) * (1 - 0.25 * random.random())  # noqa: S311
    return wait


def _completion_from(response, deployment: str) -> Completion:
    """The text and token counts of a chat completion; an empty answer is refused."""
    choice = response.choices[0] if response.choices else None
    text = ((choice.message.content if choice else None) or "").strip()
    finish_reason = getattr(choice, "finish_reason", None)
    if not text and finish_reason == "content_filter":
        raise _prompt_rejected()
    if not text:
        logger.warning("azure openai returned no text: finish_reason=%s", finish_reason)
        raise AiUnavailable()
    usage = response.usage
    return Completion(
        text=text,
        model=response.model or deployment,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )


def _messages(system: str, prompt: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]


def _call_with_retries(call):
    """``call(timeout)`` under the retry policy and the overall deadline (module doc); returns
    its result and the deadline, or raises ``AiUnavailable`` / ``AiPromptRejected``."""
    per_attempt = float(settings.AI_REQUEST_TIMEOUT_SECONDS)
    max_retries = int(settings.AI_MAX_RETRIES)
    deadline = _Deadline(float(settings.AI_TOTAL_DEADLINE_SECONDS))
    for attempt in range(max_retries + 1):
        remaining = deadline.remaining()
        if remaining <= _Deadline.MARGIN:
            break
        try:
            return call(min(per_attempt, remaining)), deadline
        except _RETRYABLE as exc:
            logger.warning(
                "azure openai attempt %d failed: %s status=%s",
                attempt + 1,
                type(exc).__name__,
                getattr(exc, "status_code", None),
            )
            wait = _backoff(exc, attempt)
            if attempt == max_retries or not deadline.allows_wait(wait):
                break
            time.sleep(wait)
            continue
        except openai.OpenAIError as exc:
            raise _final_error(exc) from None
    raise AiUnavailable()


def chat_complete(*, system: str, prompt: str) -> Completion:
    """Ask the deployment for one completion of ``prompt`` under ``system``; see module doc."""
    client, deployment = _configured_client()
    messages = _messages(system, prompt)
    response, _deadline = _call_with_retries(
        lambda timeout: client.chat.completions.create(
            model=deployment, messages=messages, max_tokens=MAX_OUTPUT_TOKENS, timeout=timeout
        )
    )
    return _completion_from(response, deployment)


class ChatStream:
    """One completion streamed as the model writes it (``chat_stream``).

    Iterating yields the text pieces (``str``) in order; once the iteration ends, ``completion``
    holds the whole answer with Azure's token counts (``stream_options.include_usage``: the last
    chunk carries the usage). Errors are those of ``chat_complete``: ``AiUnavailable``, or
    ``AiPromptRejected`` when the content filter stops the answer. ``close()`` hangs up on Azure.

    Retries: only opening the stream is retried (429, 5xx, timeouts and connection errors before
    the answer starts, as ``chat_complete``); once text has been handed out, a failure is final,
    since a retry would write a different text after the one already sent. The overall deadline
    (``AI_TOTAL_DEADLINE_SECONDS``) holds whatever Azure does: a watchdog hangs up on the stream
    when it passes, so a stream gone silent fails then, not a per-read timeout later.

    ``billed()`` estimates the tokens Azure bills for a stream that failed after it started
    writing (usage when it arrived, else about four characters a token).
    """

    def __init__(self, stream, deployment: str, deadline: _Deadline, prompt_chars: int = 0) -> None:
        self._stream = stream
        self._prompt_chars = prompt_chars
        self._expired = False
        self._chunks = iter(stream)
        self._deployment = deployment
        self._deadline = deadline
        self._parts: list[str] = []
        self._pending: list[str] = []
        self._model = ""
        self._usage = None
        self._finish_reason: str | None = None
        self._ended = False
        self.completion: Completion | None = None
        # threading is gevent's under the gevent workers: the timer is a greenlet there.
        self._watchdog = threading.Timer(max(deadline.remaining(), 0), self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _expire(self) -> None:
        self._expired = True
        self.close()

    # An iterator object rather than a generator: iterating again after a pause (the client
    # hung up and the rest of the answer is read without it) goes on where it stopped.
    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> str:
        while not self._pending:
            if self._ended:
                raise StopIteration
            self._read_chunk()
        return self._pending.pop(0)

    def _read_chunk(self) -> None:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._ended = True
            self.close()
            self.completion = self._finish()
            return
        except openai.BadRequestError as exc:
            self._fail()
            raise _final_error(exc) from None
        except Exception as exc:
            # An error event from Azure, or the transport failing mid-answer (a read timeout, a
            # connection cut, the watchdog hanging up): httpx's exceptions surface unwrapped.
            self._fail()
            if self._expired:
                logger.warning("azure openai stream passed the overall deadline")
            else:
                logger.warning("azure openai stream failed: %s", type(exc).__name__)
            raise AiUnavailable() from None
        if chunk.model:
            self._model = chunk.model
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices or ():
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
            text = choice.delta.content if choice.delta else None
            if text:
                self._parts.append(text)
                self._pending.append(text)
        if self._expired or self._deadline.remaining() <= 0:
            self._fail()
            logger.warning("azure openai stream passed the overall deadline")
            raise AiUnavailable()

    def _fail(self) -> None:
        self._ended = True
        self._pending.clear()
        self.close()

    def _finish(self) -> Completion:
        text = "".join(self._parts).strip()
        if self._finish_reason == "content_filter":
            # The filter stopped the answer: what was written is not kept (as chat_complete).
            raise _prompt_rejected()
        if not text:
            logger.warning("azure openai streamed no text: finish_reason=%s", self._finish_reason)
            raise AiUnavailable()
        usage = self._usage
        return Completion(
            text=text,
            model=self._model or self._deployment,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )

    def billed(self) -> tuple[int, int]:
        """``(prompt_tokens, completion_tokens)`` Azure bills for what it has written so far."""
        if self._usage is not None:
            return (
                int(getattr(self._usage, "prompt_tokens", 0) or 0),
                int(getattr(self._usage, "completion_tokens", 0) or 0),
            )
        if not self._parts:
            return 0, 0
        written = sum(len(part) for part in self._parts)
        return math.ceil(self._prompt_chars / 4), math.ceil(written / 4)

    def close(self) -> None:
        self._watchdog.cancel()
        close = getattr(self._stream, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # hanging up must never raise
                logger.debug("closing the azure openai stream failed", exc_info=True)


def chat_stream(*, system: str, prompt: str) -> ChatStream:
    """Open a streamed completion (``stream=True``, usage included at the end); see
    ``ChatStream``. Raises like ``chat_complete`` when the stream cannot be opened."""
    client, deployment = _configured_client()
    messages = _messages(system, prompt)
    stream, deadline = _call_with_retries(
        lambda timeout: client.chat.completions.create(
            model=deployment,
            messages=messages,
            max_tokens=MAX_OUTPUT_TOKENS,
            timeout=timeout,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    return ChatStream(stream, deployment, deadline, prompt_chars=len(system) + len(prompt))
