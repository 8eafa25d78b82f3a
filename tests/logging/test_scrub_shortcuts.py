"""The scrubber's shortcuts (huntaze/logging.py) skip work, never a redaction.

- each pattern is tried only on a text that holds what every match of it contains: the
  result is the same as trying every pattern on every text;
- field names' sensitivity is cached;
- the formatter does not scan again what ``ScrubSecretsFilter`` has just scrubbed, and still
  scrubs a record that no filter saw.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import random

import pytest

from huntaze import logging as hlog
from huntaze.logging import REDACTED, JsonFormatter, ScrubSecretsFilter, scrub

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
API_KEY = "hz_live_Zq9Xw8Vu7Ts6Rq5Po4"
STRIPE_KEY = "sk_live_51HxAbCdEfGhIjKlMnOp"
INVITE = "0F1E2D3C4B5A6978"
KNOWN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0-shortcut"
SECRETS = [JWT, API_KEY, STRIPE_KEY, INVITE, KNOWN, "Pl41n-Passw0rd!", "raw-bearer-value-77"]

# Pieces that the patterns look for, glued together in every order below.
PIECES = [
    "GET",
    "/api/content/0b7e4a1c-2f9d-4c1e-8a53-3c9f2f1d7e11",
    " ",
    "\t",
    "\u00a0",
    ":",
    "=",
    "'",
    '"',
    "Authorization",
    "AUTHORIZATION",
    "Bearer",
    "bearer",
    "Api-Key",
    "api-\u212aey",  # KELVIN SIGN: matches "k" under (?i)
    "raw-bearer-value-77",
    "password",
    "pa\u017fsword",  # LONG S: matches "s" under (?i)
    "token",
    "code",
    "validation_error",
    "Pl41n-Passw0rd!",
    JWT,
    API_KEY,
    STRIPE_KEY,
    INVITE,
    KNOWN,
    "postgres://u:pw-in-url@db/x",
    "://",
    "@",
    "/accounts/password/reset/key/",
    "/confirm-email/",
    "/reset-password/",
    "3-abc-def123",
    "&",
    "_",
]


def _reference_scrub(text: str) -> str:
    """scrub() without its shortcuts: every pattern tried on every text."""
    if not text:
        return text
    if hlog._known_pattern is not None:
        text = hlog._known_pattern.sub(REDACTED, text)
    for pattern, repl, _may_match in hlog._PATTERNS:
        text = pattern.sub(repl, text)
    return hlog._PAIR.sub(hlog._redact_pair, text)


@pytest.fixture(autouse=True)
def _known_value():
    hlog.register_secret_value(KNOWN)


def _corpus():
    yield from PIECES
    for a, b in itertools.product(PIECES, repeat=2):
        yield a + b
        yield f"{a} {b}"
    rng = random.Random(17)
    for _ in range(3000):
        glue = rng.choice(["", " ", ":", "=", "/", "; "])
        yield glue.join(rng.choice(PIECES) for _ in range(rng.randint(2, 6)))


def test_the_shortcuts_give_the_result_of_every_pattern():
    for text in _corpus():
        scrubbed = scrub(text)
        assert scrubbed == _reference_scrub(text), text
        # Idempotent: why the formatter need not scan again what the filter scrubbed.
        assert scrub(scrubbed) == scrubbed, text


def test_each_pattern_still_redacts_its_secret():
    # A text of one kind only (no "=", ":" or space where the pattern does not need one).
    cases = {
        f"/api/x/{JWT}": JWT,
        f"/api/x/{API_KEY}": API_KEY,
        f"/api/x/{STRIPE_KEY}": STRIPE_KEY,
        f"/api/x/{INVITE}": INVITE,
        f"/api/x/{KNOWN}": KNOWN,
        "/accounts/password/reset/key/3-abc-def123/": "3-abc-def123",
        "Bearer raw-bearer-value-77": "raw-bearer-value-77",
        "Api-\u212aey raw-bearer-value-77": "raw-bearer-value-77",
        "Authorization: raw-bearer-value-77": "raw-bearer-value-77",
        "postgres://u:Pl41n-Passw0rd!@db/x": "Pl41n-Passw0rd!",
        "pa\u017fsword=Pl41n-Passw0rd!": "Pl41n-Passw0rd!",
    }
    for text, secret in cases.items():
        assert secret not in scrub(text), text


def test_field_name_sensitivity_is_the_same_when_cached():
    names = ["password", "new_password", "api_key", "invite_code", "code", "status_code", "user_id"]
    for name in names * 2:  # the second round is answered by the cache
        assert hlog.is_sensitive_name(name, "ABCDEF0123456789") == (
            name not in {"status_code", "user_id"}
        )
    assert hlog.is_sensitive_name("code", "validation_error") is False
    assert hlog.is_sensitive_name("code", "ABCDEF0123456789") is True


def _handler(with_filter: bool) -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    if with_filter:
        handler.addFilter(ScrubSecretsFilter())
    return handler, stream


@pytest.mark.parametrize("with_filter", [True, False])
def test_no_secret_in_any_field_with_or_without_the_filter(with_filter):
    logger = logging.getLogger(f"huntaze.tests.shortcuts.{with_filter}")
    logger.propagate = False
    handler, stream = _handler(with_filter)
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"refused {STRIPE_KEY}")
        except ValueError:
            logger.exception(
                "%s %s %s",
                "POST",
                f"/api/x/{JWT}",
                f"Bearer {API_KEY}",
                extra={
                    "method": KNOWN,
                    "path": f"/api/x/{INVITE}",
                    "request_id": JWT,
                    "note": {"password": "Pl41n-Passw0rd!", "list": [f"Bearer {API_KEY}"]},
                    "raw": b"api-key raw-bearer-value-77",
                },
                stack_info=True,
            )
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    line = json.loads(text)
    assert line["message"].startswith("POST /api/x/")
    assert "traceback" in line and "stack" in line
    for secret in SECRETS:
        assert secret not in text, secret
