"""JSON log lines on standard output, with secrets scrubbed (docs/configuration.md).

- ``JsonFormatter`` writes one JSON object per record: ``time``, ``level``, ``logger``,
  ``message``, the record's extra fields, the current ``request_id`` (set by
  ``huntaze.middleware.RequestLogMiddleware``) and, for exceptions, ``exc_type`` and
  ``traceback``. Objects that are not plain data (Django's ``request`` extra on
  ``django.request`` records, sockets …) are left out, so no header or body is ever dumped.
- ``ScrubSecretsFilter`` redacts credentials wherever they would appear: the message and its
  arguments, extra fields (nested dicts and lists too, by key name and by value), exception and
  stack text. It knows credential shapes (bearer / API-key headers, JWTs, Stripe keys, URL
  passwords, ``name=value`` pairs with a sensitive name, invite codes, allauth key paths) and
  the literal values of the secrets in use (``register_secret_value``), so an Azure key that
  has no recognisable shape is still caught.

The formatter scrubs its output too, so it is safe even on a handler without the filter.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import re
import threading
from datetime import UTC, datetime
from typing import Any

REDACTED = "[REDACTED]"

# --- literal secret values -------------------------------------------------------------------------

_known_values: set[str] = set()
_known_lock = threading.Lock()
_known_pattern: re.Pattern[str] | None = None
_MIN_SECRET_LENGTH = 8  # shorter strings would redact ordinary words


def register_secret_value(value: str | None) -> None:
    """Remember a secret's value so that it is redacted from every log line, whatever its shape."""
    global _known_pattern
    if not value or len(value) < _MIN_SECRET_LENGTH or value in _known_values:
        return
    with _known_lock:
        _known_values.add(value)
        ordered = sorted(_known_values, key=len, reverse=True)
        _known_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def _register_settings_secrets() -> None:
    """Secrets that live in settings (read from the environment) are redacted too."""
    try:
        from django.conf import settings

        if not settings.configured:
            return
        for name in (
            "SECRET_KEY",
            "JWT_SIGNING_KEY",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "AZURE_OPENAI_API_KEY",
            "EMAIL_HOST_PASSWORD",
            "METRICS_TOKEN",
            "SENTRY_DSN",
        ):
            register_secret_value(str(getattr(settings, name, "") or ""))
        for db in getattr(settings, "DATABASES", {}).values():
            register_secret_value(str(db.get("PASSWORD") or ""))
        google = getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}).get("google", {})
        register_secret_value(str(google.get("APP", {}).get("secret") or ""))
    except Exception:  # logging set-up must never fail because of this
        return


# --- text patterns ---------------------------------------------------------------------------------

# Names whose values are credentials: in extra fields / dict keys, and in "name=value" text.
_SENSITIVE_NAME_WORDS = (
    "authorization|cookie|password|passwd|pwd|secret|token|apikey|api_key|api-key|signature|"
    "credential|credentials|csrf|sessionid|session_key|private_key|key|code|invite_code"
)
_SENSITIVE_NAME = re.compile(rf"(?i)(?:^|[_\-\s])?({_SENSITIVE_NAME_WORDS})s?$")
# Names that end like a sensitive one but carry no secret (ids, HTTP and error codes).
_SAFE_NAMES = frozenset(
    {
        "status_code",
        "error_code",
        "http_code",
        "exit_code",
        "return_code",
        "secret_id",
        "missing_keys",
        "keys",
    }
)
# An error code ("validation_error") or HTTP status is fine under a "code" name; an invite code
# (16 upper-case hex characters) is not.
_HARMLESS_CODE = re.compile(r"^(?:[a-z_]+|\d{3})$")

# Each pattern with a precondition: a check that is false only when the pattern cannot match
# (the text lacks a character or literal that every match contains). Checked on the text as it
# stands before that pattern; it skips a regex scan, never a redaction. Most of what is scrubbed
# (request paths, ids, methods) has no "=", ":" or whitespace, and the name=value scan was the
# largest share of a request line's cost (docs/performance-notes.md has the figures).
_SPACE = re.compile(r"\s")


def _has_separator(text: str) -> bool:
    return ":" in text or "=" in text


def _has_space(text: str) -> bool:
    return _SPACE.search(text) is not None


def _always(text: str) -> bool:
    return True


_PATTERNS: list[tuple[re.Pattern[str], Any, Any]] = [
    # A whole Authorization header value ("Authorization: Basic abc=", "'HTTP_AUTHORIZATION': '…'")
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+"),
        rf"\1{REDACTED}",
        _has_separator,
    ),
    # Bearer tokens and API keys in header syntax
    (
        re.compile(r"(?i)\b(bearer|api-key)\s+[A-Za-z0-9._~+/=\-]+"),
        rf"\1 {REDACTED}",
        _has_space,
    ),
    # JWTs (three base64url parts)
    (
        re.compile(r"eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"),
        "[REDACTED-JWT]",
        lambda text: "eyJ" in text,
    ),
    # our API keys
    (
        re.compile(r"\bhz_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"),
        "[REDACTED-KEY]",
        lambda text: "hz_" in text,
    ),
    # Stripe secret / restricted / publishable keys and webhook secrets
    (
        re.compile(r"\b(?:sk|rk|pk|whsec)_(?:live_|test_)?[A-Za-z0-9]{8,}"),
        "[REDACTED-STRIPE]",
        lambda text: "_" in text,
    ),
    # passwords inside URLs: scheme://user:password@host
    (re.compile(r"(://[^:/@\s]*:)[^@\s/]+@"), rf"\1{REDACTED}@", lambda text: "://" in text),
    # allauth's password-reset and email-confirmation keys in paths
    (
        re.compile(r"(/(?:password/reset/key|confirm-email|reset-password)/)[^/?\s\"']+"),
        rf"\1{REDACTED}",
        lambda text: (
            "/password/reset/key/" in text
            or "/confirm-email/" in text
            or "/reset-password/" in text
        ),
    ),
    # invite codes: 16 upper-case hex characters
    (re.compile(r"\b[0-9A-F]{16}\b"), "[REDACTED-CODE]", _always),
]
# name=value, name: value, "name": "value" with a sensitive name (handled by _redact_pair)
_PAIR = re.compile(
    rf"(?i)(?<![\w-])([\w-]*?(?:{_SENSITIVE_NAME_WORDS})s?)"
    r"(['\"]?\s*[=:]\s*)"
    r"(\[REDACTED[\w-]*\]|\"[^\"]*\"|'[^']*'|[^\s\"'&,;})\]]+)"
)


def _redact_pair(match: re.Match[str]) -> str:
    name, sep, value = match.group(1), match.group(2), match.group(3)
    if value.startswith("[REDACTED") or not is_sensitive_name(name, value.strip("'\"")):
        return match.group(0)
    if value[:1] in "'\"":
        return f"{name}{sep}{value[0]}{REDACTED}{value[0]}"
    return f"{name}{sep}{REDACTED}"


def is_sensitive_name(name: str, value: Any = None) -> bool:
    """Whether a field, header or parameter called ``name`` holds a credential."""
    word = _sensitive_word(name)
    if word is None:
        return False
    harmless_code = isinstance(value, str) and bool(_HARMLESS_CODE.match(value))
    return not (word == "code" and harmless_code)


@functools.lru_cache(maxsize=1024)
def _sensitive_word(name: str) -> str | None:
    """The credential word ``name`` ends with, None for a name that holds no credential.
    Cached: the same few field names come back on every log line, each a regex search."""
    lowered = name.lower()
    if lowered in _SAFE_NAMES or lowered.endswith("_id"):
        return None
    match = _SENSITIVE_NAME.search(lowered)
    return None if match is None else match.group(1)


def scrub(text: str) -> str:
    """Redact every credential that ``text`` may contain."""
    if not text:
        return text
    known = _known_pattern
    if known is not None:
        text = known.sub(REDACTED, text)
    for pattern, repl, may_match in _PATTERNS:
        if may_match(text):
            text = pattern.sub(repl, text)
    if not _has_separator(text):  # every name=value pair has one
        return text
    return _PAIR.sub(_redact_pair, text)


def scrub_value(value: Any, name: str = "") -> Any:
    """Scrub an extra field: by its name (credentials), then by content, recursively."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value  # counts and flags, even under a name like "tokens"
    if name and is_sensitive_name(name, value):
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bytes):
        return scrub(value.decode("utf-8", "replace"))
    if isinstance(value, dict):
        return {str(k): scrub_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub_value(v) for v in value]
    return scrub(str(value))


# --- the request id of the request being served ---------------------------------------------------

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "huntaze_request_id", default=None
)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


# --- filter and formatter --------------------------------------------------------------------------

_RESERVED = set(logging.LogRecord("x", 0, "x", 0, "x", None, None).__dict__) | {
    "message",
    "asctime",
}
# Extras that are objects, not data: never serialised (Django's request carries headers, body,
# cookies and the query string; django.server's carries the socket).
_DROPPED_EXTRAS = frozenset({"request", "server_time"})
_plain_formatter = logging.Formatter()
# Put on a record by ScrubSecretsFilter once it has scrubbed it in place (a private object: no
# ``extra`` can forge it); the formatter then does not scrub the same text a second time.
_SCRUBBED = object()


class DropResponseStatusFilter(logging.Filter):
    """On ``django.request``: drop Django's line for an error answer ("Service Unavailable:
    /api/…"), keep the traceback of an exception nothing handled.

    Django writes that line after the whole middleware chain, so without the request id, for
    every 4xx/5xx response; ``RequestLogMiddleware``'s line (``huntaze.request``, ERROR for a
    5xx) already says it with the id: a 503 wrote two ERROR lines for one event. A record with
    ``exc_info`` is another event, the uncaught exception, and keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return bool(record.exc_info) or not hasattr(record, "status_code")


class ScrubSecretsFilter(logging.Filter):
    """Redact credentials in a record's message, arguments, extra fields and exception text."""

    def __init__(self, name: str = ""):
        super().__init__(name)
        _register_settings_secrets()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key in _RESERVED or key.startswith("_") or key in _DROPPED_EXTRAS:
                continue
            record.__dict__[key] = scrub_value(value, key)
        record._huntaze_scrubbed = _SCRUBBED
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; scrubbed, so it is safe even without ``ScrubSecretsFilter``."""

    def format(self, record: logging.LogRecord) -> str:
        # Scrubbed by ScrubSecretsFilter already: message, extras, exception and stack text are
        # the filter's output (scrubbing is idempotent), so they are not scanned again.
        done = record.__dict__.get("_huntaze_scrubbed") is _SCRUBBED
        message = record.getMessage()
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": message if done else scrub(message),
        }
        for key, value in record.__dict__.items():
            if key in _RESERVED or key.startswith("_") or key in _DROPPED_EXTRAS:
                continue
            payload[key] = value if done else scrub_value(value, key)
        request_id = current_request_id()
        if request_id and "request_id" not in payload:
            payload["request_id"] = request_id
        if record.exc_info or record.exc_text:
            if record.exc_info and record.exc_info[0] is not None:
                payload["exc_type"] = record.exc_info[0].__name__
            text = record.exc_text or self.formatException(record.exc_info)
            payload["traceback"] = text if done and record.exc_text else scrub(text)
        if record.stack_info:
            stack = self.formatStack(record.stack_info)
            payload["stack"] = stack if done else scrub(stack)
        # ASCII-only output: a container whose stdout is not UTF-8 still gets every line.
        return json.dumps(payload, default=lambda o: scrub(str(o)))
