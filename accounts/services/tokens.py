"""Tokens: short-lived access JWTs and opaque rotating refresh tokens (docs/auth.md).

Access tokens (HS256, 15 minutes). Claims: ``sub`` (user id), ``jti``, ``iat``, ``exp``,
``type`` = ``access`` and ``iat_us``, the issue time in microseconds since the epoch. Decoding
accepts only HS256 (an algorithm allow-list) and only tokens of type ``access``; refresh tokens
are opaque random strings, not JWTs, so one can never pass for an access token.

Why ``iat_us``: tokens issued before the user's last password change are refused
(``accounts.authentication``). ``iat`` has a one-second resolution, which either lets a token
issued in the same second as the change through, or refuses the token of the sign-in that
follows a reset within that second. ``iat_us`` is compared with ``password_changed_at`` at the
database's microsecond resolution instead.

Refresh tokens:

* The client gets ``secrets.token_urlsafe(32)`` (256 random bits); the database keeps only its
  SHA-256 digest (``RefreshToken.token_hash``), so a leaked table cannot be replayed.
* Every token descended from one sign-in shares a ``family``. The family's lifetime is
  **absolute**: a rotated child inherits its parent's ``expires_at`` (30 days after the
  sign-in), so a stolen-and-rotated chain cannot be kept alive forever; the user signs in
  again after 30 days.
* Rotation spends the presented token with ONE conditional UPDATE (``used_at IS NULL AND
  revoked_at IS NULL AND expires_at > now``); only the request whose UPDATE matched a row
  issues the child, in the same transaction. Of N parallel refreshes exactly one wins.
* A token that exists but was already used or revoked is a replay: the whole family is
  revoked and the answer is 401. The losers of a parallel race count as replays too, so a
  client racing itself loses its session — reuse cannot be told apart from theft.
* Sign-out revokes the presented token's family; a password change or reset revokes every
  refresh token of the user.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import RefreshToken, User
from huntaze.exceptions import TokenInvalid
from huntaze.fields import encodable
from huntaze.hashing import sha256_hex

ACCESS_TYPE = "access"
# Longer than any token we issue (43 characters): anything longer is refused without a lookup.
REFRESH_TOKEN_MAX = 256


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    refresh_expires_at: datetime


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


@functools.lru_cache(maxsize=4096)
def _signed_claims(token: str, key: str, algorithm: str) -> dict[str, Any]:
    """The claims of a token whose signature, structure and required claims check out, times
    not checked. Cached per process (key and algorithm in the cache key, so a new signing key
    refuses the old tokens at once; failures are never cached): a creator's access token is
    verified once rather than on every request of its 15 minutes."""
    return jwt.decode(
        token,
        key,
        algorithms=[algorithm],
        options={
            "require": ["sub", "jti", "iat", "exp", "type"],
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        },
    )


def _now() -> float:
    return datetime.now(tz=UTC).timestamp()


def _check_times(claims: dict[str, Any]) -> None:
    """PyJWT's own time checks (``iat`` not in the future, ``nbf`` reached, ``exp`` not
    reached, no leeway), run on every decode, cached or not."""
    now = _now()
    try:
        iat, exp = int(claims["iat"]), int(claims["exp"])
        nbf = int(claims["nbf"]) if "nbf" in claims else None
    except (ValueError, TypeError, OverflowError):
        raise jwt.InvalidTokenError("iat, nbf and exp must be integers") from None
    if iat > now:
        raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")
    if nbf is not None and nbf > now:
        raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
    if exp <= now:
        raise jwt.ExpiredSignatureError("Signature has expired")


def access_token_decode(token: str) -> dict[str, Any]:
    """Return the claims of a valid access token, or raise ``jwt.InvalidTokenError``."""
    if not isinstance(token, str):
        raise jwt.InvalidTokenError("not a token")
    claims = dict(_signed_claims(token, settings.JWT_SIGNING_KEY, settings.JWT_ALGORITHM))
    _check_times(claims)
    if claims.get("type") != ACCESS_TYPE:
        raise jwt.InvalidTokenError("not an access token")
    return claims


# --- refresh tokens --------------------------------------------------------------------------


def refresh_token_issue(
    *, user: User, family: uuid.UUID | None = None, expires_at: datetime | None = None
) -> tuple[str, RefreshToken]:
    """Store a new refresh token (digest only) and return ``(plain token, row)``.

    A new family (a sign-in) lasts ``REFRESH_TOKEN_LIFETIME``; a child passes its family's
    ``expires_at`` so the family never outlives the sign-in by more than that.
    """
    raw = secrets.token_urlsafe(32)
    row = RefreshToken.objects.create(
        user=user,
        token_hash=sha256_hex(raw),
        family=family or uuid.uuid4(),
        expires_at=expires_at or timezone.now() + settings.REFRESH_TOKEN_LIFETIME,
    )
    return raw, row


def auth_tokens_issue(*, user: User) -> TokenPair:
    """A fresh access token and a refresh token opening a new family (a sign-in)."""
    raw, row = refresh_token_issue(user=user)
    return TokenPair(
        access=access_token_issue(user=user), refresh=raw, refresh_expires_at=row.expires_at
    )


def _could_be_refresh_token(raw: object) -> bool:
    """Whether ``raw`` is worth a lookup: text of a sane length that UTF-8 can encode."""
    return isinstance(raw, str) and 0 < len(raw) <= REFRESH_TOKEN_MAX and encodable(raw)


def refresh_tokens_revoke(*, tokens: QuerySet[RefreshToken]) -> int:
    """Revoke the live ones among ``tokens`` with one conditional UPDATE; return how many.

    The one revocation of refresh tokens: a family (sign-out, reuse), every token of a user
    (password change or reset, account deletion), or rows staff pick in the admin.
    """
    now = timezone.now()
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=now, updated_at=now)


def refresh_tokens_revoke_for_user(*, user: User) -> int:
    """Revoke every live refresh token of ``user`` (password change or reset, deletion)."""
    return refresh_tokens_revoke(tokens=RefreshToken.objects.filter(user=user))


def _family_revoke(family: uuid.UUID) -> int:
    return refresh_tokens_revoke(tokens=RefreshToken.objects.filter(family=family))


def refresh_token_rotate(*, raw: object) -> tuple[User, TokenPair]:
    """Spend ``raw`` and return its user with a new access token and the family's next token.

    Raises ``TokenInvalid`` (401) for anything that is not a live token of ours, whatever its
    length or type (an access token, a number, a megabyte), and for a deleted or inactive
    user. A spent or revoked token revokes its whole family first (that
    revocation is committed even though the request fails).
    """
    if not _could_be_refresh_token(raw):
        raise TokenInvalid()
    digest = sha256_hex(raw)
    now = timezone.now()
    with transaction.atomic():
        won = RefreshToken.objects.filter(
            token_hash=digest,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ).update(used_at=now, updated_at=now)
        row = RefreshToken.objects.select_related("user").filter(token_hash=digest).first()
        if won == 1 and row is not None:
            user = row.user
            if user.deleted_at is None and user.is_active:
                child, child_row = refresh_token_issue(
                    user=user, family=row.family, expires_at=row.expires_at
                )
                return user, TokenPair(
                    access=access_token_issue(user=user),
                    refresh=child,
                    refresh_expires_at=child_row.expires_at,
                )
    # Not a winner. Outside the transaction above, so the revocation sticks.
    if row is not None and (won == 1 or row.used_at is not None or row.revoked_at is not None):
        _family_revoke(row.family)
    raise TokenInvalid()


def refresh_token_revoke(*, raw: str | None) -> None:
    """Sign-out: revoke the family of ``raw``. Unknown or empty tokens are ignored (idempotent)."""
    if not _could_be_refresh_token(raw):
        return
    family = (
        RefreshToken.objects.filter(token_hash=sha256_hex(raw))
        .values_list("family", flat=True)
        .first()
    )
    if family is not None:
        _family_revoke(family)


def refresh_tokens_purge(*, older_than: timedelta = timedelta(0), dry_run: bool = False) -> int:
    """Delete refresh tokens that expired more than ``older_than`` ago; return how many.

    Spent (``used_at``) and revoked tokens that have not yet expired are kept: presenting a
    spent token must still be recognised as reuse (which revokes its family) for as long as
    the token could otherwise have been valid. Once expired, a token is refused anyway.
    """
    doomed = RefreshToken.objects.filter(expires_at__lt=timezone.now() - older_than)
    count = doomed.count()
    if not dry_run and count:
        doomed.delete()
    return count
