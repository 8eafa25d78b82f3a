"""Access tokens: the signature is verified once per process, the times on every request.

accounts.services.tokens caches what a token's signature and structure give (keyed by the token,
the signing key and the algorithm); ``iat``, ``nbf`` and ``exp`` are checked on every decode as
PyJWT checks them, so a cached token still expires, and a new signing key refuses the old
tokens at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import jwt
import pytest
from django.conf import settings

from accounts.services import tokens


def _token(*, key: str | None = None, **claims) -> str:
    now = int(datetime.now(tz=UTC).timestamp())
    body = {
        "sub": str(uuid.uuid4()),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 60,
        "type": "access",
        **claims,
    }
    return jwt.encode(body, key or settings.JWT_SIGNING_KEY, algorithm="HS256")


def test_a_cached_token_still_expires(monkeypatch):
    token = _token()
    exp = tokens.access_token_decode(token)["exp"]
    assert tokens.access_token_decode(token)["exp"] == exp  # cached now
    monkeypatch.setattr(tokens, "_now", lambda: float(exp))  # exp <= now: expired, as PyJWT
    with pytest.raises(jwt.ExpiredSignatureError):
        tokens.access_token_decode(token)
    monkeypatch.setattr(tokens, "_now", lambda: exp - 0.5)
    assert tokens.access_token_decode(token)["exp"] == exp


def test_times_are_checked_like_pyjwt(monkeypatch):
    now = int(datetime.now(tz=UTC).timestamp())
    for claims, error in [
        ({"iat": now + 30}, jwt.ImmatureSignatureError),
        ({"nbf": now + 30}, jwt.ImmatureSignatureError),
        ({"exp": now - 1}, jwt.ExpiredSignatureError),
        ({"exp": "soon"}, jwt.InvalidTokenError),
    ]:
        token = _token(**claims)
        for _ in range(2):  # first decode and cached decode alike
            with pytest.raises(error):
                tokens.access_token_decode(token)
        with pytest.raises(jwt.InvalidTokenError):  # what PyJWT alone says of it
            jwt.decode(token, settings.JWT_SIGNING_KEY, algorithms=["HS256"])


def test_a_new_signing_key_refuses_cached_tokens(settings):
    token = _token()
    assert tokens.access_token_decode(token)["type"] == "access"
    settings.JWT_SIGNING_KEY = "another-key-" + "x" * 40
    with pytest.raises(jwt.InvalidSignatureError):
        tokens.access_token_decode(token)


def test_refused_tokens_are_never_cached_and_types_are_checked():
    forged = _token(key="not-our-key-" + "y" * 40)
    for _ in range(2):
        with pytest.raises(jwt.InvalidSignatureError):
            tokens.access_token_decode(forged)
    refresh_like = _token(type="refresh")
    for _ in range(2):
        with pytest.raises(jwt.InvalidTokenError):
            tokens.access_token_decode(refresh_like)
    with pytest.raises(jwt.InvalidTokenError):
        tokens.access_token_decode(b"bytes")  # type: ignore[arg-type]
    missing = jwt.encode({"sub": "x", "type": "access"}, settings.JWT_SIGNING_KEY)
    with pytest.raises(jwt.MissingRequiredClaimError):
        tokens.access_token_decode(missing)
