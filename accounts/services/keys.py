"""API keys (docs/users.md, API keys): create and revoke.

Format: ``hz_<prefix>_<secret>``. ``prefix`` is 8 random lower-case base-32 characters, stored
(``hz_<prefix>``) and shown so a user can tell keys apart; ``secret`` is 43 base-62 characters
(about 256 random bits) from the OS CSPRNG. Only the SHA-256 digest of the whole key is stored
(``key_hash``); the plain key is returned once, by ``api_key_create``. Authentication
(``accounts.authentication.ApiKeyAuthentication``) looks keys up by digest and compares digests
with ``hmac.compare_digest``. SHA-256 rather than a slow password hash: the secret has 256
bits of entropy, so a fast digest cannot be brute-forced, and every API request pays for it.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, User
from huntaze.hashing import sha256_hex

KEY_NAMESPACE = "hz"
PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
PREFIX_LENGTH = 8
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 43  # 43 * log2(62) ≈ 256 bits
KEY_LENGTH = len(KEY_NAMESPACE) + 1 + PREFIX_LENGTH + 1 + SECRET_LENGTH

SCOPES: tuple[str, ...] = tuple(ApiKey.Scope.values)


def api_key_split(raw: str) -> tuple[str, str] | None:
    """``(stored prefix, secret)`` of a well-formed key, else None (no database lookup needed)."""
    if len(raw) != KEY_LENGTH:
        return None
    namespace, sep1, rest = raw.partition("_")
    prefix, sep2, secret = rest.partition("_")
    if namespace != KEY_NAMESPACE or not sep1 or not sep2:
        return None
    if len(prefix) != PREFIX_LENGTH or any(c not in PREFIX_ALPHABET for c in prefix):
        return None
    if len(secret) != SECRET_LENGTH or any(c not in SECRET_ALPHABET for c in secret):
        return None
    return f"{KEY_NAMESPACE}_{prefix}", secret


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def api_key_create(
    *,
    user: User,
    name: str,
    permissions: Iterable[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for ``user``; return ``(row, plain key)``. The plain key is never stored."""
    prefix = f"{KEY_NAMESPACE}_{_random(PREFIX_ALPHABET, PREFIX_LENGTH)}"
    raw = f"{prefix}_{_random(SECRET_ALPHABET, SECRET_LENGTH)}"
    # Keep the order of SCOPES and drop duplicates, so the stored list is canonical.
    wanted = set(permissions)
    key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=sha256_hex(raw),
        permissions=[scope for scope in SCOPES if scope in wanted],
        expires_at=expires_at,
    )
    return key, raw


def api_key_revoke(*, key: ApiKey) -> bool:
    """Revoke ``key`` at once; True when this call revoked it (False: it already was)."""
    now = timezone.now()
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    if updated:
        key.revoked_at = now
    return bool(updated)


@transaction.atomic
def api_keys_revoke_for_user(*, user: User) -> int:
    """Revoke every live key of ``user`` (account deletion); return how many."""
    now = timezone.now()
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
