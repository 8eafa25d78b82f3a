"""JSON log lines on standard output, with secrets scrubbed (SPEC section 7)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_SENSITIVE_KEYS = re.compile(
    r"(authorization|cookie|password|passwd|secret|token|api[_-]?key|invite_code|code|key)", re.I
)
_PATTERNS = [
    # Authorization headers and bearer/api-key values
    (re.compile(r"(?i)(bearer|api-key)\s+[A-Za-z0-9._\-]+"), r"\1 [REDACTED]"),
    # JWTs
    (re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), "[REDACTED-JWT]"),
    # our API keys
    (re.compile(r"hz_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"), "[REDACTED-KEY]"),
    # Stripe keys and webhook secrets
    (re.compile(r"(sk|rk|pk|whsec)_(live|test)?_?[A-Za-z0-9]+"), "[REDACTED-STRIPE]"),
    # key=value pairs with sensitive names
    (
        re.compile(
            r"(?i)\b(password|token|secret|api_key|refresh|access)(\"?\s*[=:]\s*\"?)[^\s\"&,}]+"
        ),
        r"\1\2[REDACTED]",
    ),
]


def scrub(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class ScrubSecretsFilter(logging.Filter):
    """Redact credentials wherever they would appear in a record's message or extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key in _RESERVED:
                continue
            if isinstance(value, str):
                if _SENSITIVE_KEYS.search(key) and key not in _SAFE_EXTRA:
                    record.__dict__[key] = "[REDACTED]"
                else:
                    record.__dict__[key] = scrub(value)
        return True


_SAFE_EXTRA = {"status_code"}
_RESERVED = set(logging.LogRecord("x", 0, "x", 0, "x", None, None).__dict__) | {
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            payload["traceback"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
