"""The one SHA-256 digest of stored credentials (refresh tokens, API keys) and cache keys."""

from __future__ import annotations

import hashlib


def sha256_hex(raw: str) -> str:
    """Hex SHA-256 of ``raw`` (UTF-8). Credentials with 256 random bits need no slow hash."""
    return hashlib.sha256(raw.encode()).hexdigest()
