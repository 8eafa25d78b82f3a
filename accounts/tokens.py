"""Access tokens: short-lived JWTs (HS256, 15 minutes).

Claims: ``sub`` (user id), ``jti``, ``iat``, ``exp``, ``type`` = ``access`` and ``iat_us``, the
issue time in microseconds since the epoch. Decoding accepts only HS256 (an algorithm
allow-list) and only tokens of type ``access``; refresh tokens are opaque random strings, not
JWTs, so one can never pass for an access token.

Why ``iat_us``: tokens issued before the user's last password change are refused
(``accounts.authentication``). ``iat`` has a one-second resolution, which either lets a token
issued in the same second as the change through, or refuses the token of the sign-in that
follows a reset within that second. ``iat_us`` is compared with ``password_changed_at`` at the
database's microsecond resolution instead.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings

ACCESS_TYPE = "access"


def access_token_issue(*, user) -> str:
    now = datetime.now(tz=UTC)
    claims = {
        "sub": str(user.pk),
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + settings.ACCESS_TOKEN_LIFETIME).timestamp()),
        "type": ACCESS_TYPE,
        "iat_us": issued_at_us(now),
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)


def issued_at_us(moment: datetime) -> int:
    """Microseconds since the epoch (exact integer arithmetic, no float rounding)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def access_token_issued_at_us(claims: dict[str, Any]) -> int:
    """The issue time of decoded claims in microseconds.

    A token without ``iat_us`` counts as issued at the very start of its ``iat`` second, so a
    password change in that second refuses it (the safe side).
    """
    value = claims.get("iat_us")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(claims["iat"]) * 1_000_000


def access_token_decode(token: str) -> dict[str, Any]:
    """Return the claims of a valid access token, or raise ``jwt.InvalidTokenError``."""
    claims = jwt.decode(
        token,
        settings.JWT_SIGNING_KEY,
        algorithms=[settings.JWT_ALGORITHM],
        options={"require": ["sub", "jti", "iat", "exp", "type"]},
    )
    if claims.get("type") != ACCESS_TYPE:
        raise jwt.InvalidTokenError("not an access token")
    return claims
