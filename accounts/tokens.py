"""Access tokens: short-lived JWTs (HS256, 15 minutes).

Claims: ``sub`` (user id), ``jti``, ``iat``, ``exp`` and ``type`` = ``access``. Decoding accepts
only HS256 (an algorithm allow-list) and only tokens of type ``access``.
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
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)


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
