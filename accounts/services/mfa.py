"""Two-factor sign-in: TOTP and recovery codes on allauth's MFA (docs/auth.md, Two-factor).

allauth's ``Authenticator`` rows are the truth (one TOTP, one set of recovery codes per user),
its functions compute and check the codes; this module adds what the API and the admin need
around them:

* **Set-up without a session.** ``totp_setup_begin`` keeps the new secret in
  ``TotpPendingSecret`` until ``totp_setup_confirm`` gets a right code from it; only then does
  allauth's TOTP authenticator exist (and with it 10 fresh recovery codes).
* **A TOTP code is accepted once.** allauth remembers used codes in the cache for one period,
  which forgets them while a drift-tolerant code is still valid, and forgets them all when the
  cache does. Here the authenticator row records the last time step accepted
  (``data["last_step"]``, under a row lock) and only a later step passes: a replayed code, or
  an older one after a newer, is refused, across instances.
* **Challenges.** With TOTP on, a right password opens an ``MfaChallenge`` (``mfa_token``) that
  lives 5 minutes, is spent by a right code and dies after 5 wrong ones.
* **Rate limits.** Every wrong code (sign-in step, admin step, confirm, turn off, renew) counts
  in the ``mfa_user_failures`` bucket of the user (``huntaze.throttles``, shared by every
  process); a full bucket refuses even a right code until its window ends.

The allauth functions used here live in its ``internal`` modules (no public Python API exists
for them): this is the one module importing them, and tests/accounts/test_mfa_allauth.py fails
if their behaviour changes.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt, encrypt
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import MfaChallenge, TotpPendingSecret, User
from huntaze import throttles
from huntaze.exceptions import Conflict, InvalidCredentials, ValidationFailed
from huntaze.hashing import sha256_hex

logger = logging.getLogger("huntaze.accounts")

CHALLENGE_LIFETIME = timedelta(minutes=5)
CHALLENGE_MAX_ATTEMPTS = 5
PENDING_SECRET_LIFETIME = timedelta(hours=1)
METHODS = ("totp", "recovery_code")
FAILURES = "mfa_user_failures"  # the rate scope of wrong codes, per user
CHALLENGE_PREFIX = "mfa_"
CODE_MAX = 64  # longer input is never a code (and is not compared)
_CODE_RE = re.compile(r"^[0-9]{6,16}$")

TOTP_TYPE = Authenticator.Type.TOTP
RECOVERY_TYPE = Authenticator.Type.RECOVERY_CODES


class TotpAlreadyOn(Conflict):
    default_message = _("La double authentification est déjà activée.")


def code_refused() -> ValidationFailed:
    """A wrong, replayed or spent code (400 on ``code``)."""
    return ValidationFailed(fields={"code": [str(_("Code incorrect ou déjà utilisé."))]})


def mfa_not_on() -> ValidationFailed:
    """Turning off or renewing codes while two-factor is off (400 on ``code``)."""
    return ValidationFailed(
        fields={"code": [str(_("La double authentification n'est pas activée."))]}
    )


def setup_not_started() -> ValidationFailed:
    """A confirmation without a pending secret (none, or older than an hour)."""
    return ValidationFailed(
        fields={"code": [str(_("Aucune configuration en cours : recommencez."))]}
    )


# --- status ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MfaStatus:
    totp: bool
    recovery_codes_left: int


def totp_is_on(*, user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=TOTP_TYPE).exists()


def mfa_status(*, user: User) -> MfaStatus:
    rows = {a.type: a for a in Authenticator.objects.filter(user_id=user.pk)}
    totp = TOTP_TYPE in rows
    codes = rows.get(RECOVERY_TYPE)
    left = len(codes.wrap().get_unused_codes()) if totp and codes is not None else 0
    return MfaStatus(totp=totp, recovery_codes_left=left)


def signin_complete_unless_totp(*, user: User) -> bool:
    """After the right password: record the sign-in (``last_login``) and return True, unless
    TOTP is on (then False: the sign-in waits for a code). One conditional UPDATE does both,
    so sign-in without two-factor costs no extra query."""
    return (
        User.objects.filter(pk=user.pk).filter(~totp_on_q()).update(last_login=timezone.now()) == 1
    )


# --- set-up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_uri: str

    def qr_svg(self) -> str:
        """The ``otpauth://`` URI as a QR code, inline SVG drawn here (allauth's adapter)."""
        return get_mfa_adapter().build_totp_svg(self.otpauth_uri)


def _otpauth_uri(user: User, secret: str) -> str:
    return get_mfa_adapter().build_totp_url(user, secret)


@transaction.atomic
def totp_setup_begin(*, user: User) -> TotpSetup:
    """A new secret for ``user``'s authenticator app, not active until confirmed by a code.

    Replaces any earlier unconfirmed secret. ``TotpAlreadyOn`` (409) when TOTP is on.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    if totp_is_on(user=user):
        raise TotpAlreadyOn()
    secret = generate_totp_secret()
    TotpPendingSecret.objects.update_or_create(
        user=user, defaults={"secret": encrypt(secret), "created_at": timezone.now()}
    )
    return TotpSetup(secret=secret, otpauth_uri=_otpauth_uri(user, secret))


def totp_setup_pending(*, user: User) -> TotpSetup | None:
    """The unconfirmed set-up of ``user``, if one is still valid (the admin page shows it
    again on reload rather than a new secret each time)."""
    pending = TotpPendingSecret.objects.filter(
        user=user, created_at__gt=timezone.now() - PENDING_SECRET_LIFETIME
    ).first()
    if pending is None:
        return None
    secret = decrypt(pending.secret)
    return TotpSetup(secret=secret, otpauth_uri=_otpauth_uri(user, secret))


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (within the tolerance, newest first) whose code is ``code``."""
    for step in sorted(yield_hotp_counters_from_time(), reverse=True):
        if compare_user_code(actual=code, expected=format_hotp_value(hotp_value(secret, step))):
            return step
    return None


def totp_setup_confirm(*, user: User, code: object) -> list[str]:
    """Turn TOTP on with the pending secret and a right code from it; return the 10 recovery
    codes (shown once: only their seed is stored). 400 on ``code`` for a wrong code or no
    pending secret, 409 when TOTP is already on, 429 after too many wrong codes."""
    code = _clean(code)
    throttles.limit_check(FAILURES, str(user.pk))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if totp_is_on(user=user):
            raise TotpAlreadyOn()
        pending = TotpPendingSecret.objects.filter(
            user=user, created_at__gt=timezone.now() - PENDING_SECRET_LIFETIME
        ).first()
        step = None
        if pending is not None and code is not None:
            secret = decrypt(pending.secret)
            step = _matching_step(secret, code)
        if step is not None:
            totp = TOTP.activate(user, secret).instance
            totp.data["last_step"] = step
            totp.save(update_fields=["data"])
            pending.delete()
            codes = _recovery_codes_renew(user)
            logger.info("user %s turned two-factor on", user.pk)
            return codes
    _failure(user)
    if pending is None:
        raise setup_not_started()
    raise code_refused()


def _recovery_codes_renew(user: User) -> list[str]:
    Authenticator.objects.filter(user_id=user.pk, type=RECOVERY_TYPE).delete()
    return RecoveryCodes.activate(user).generate_codes()


# --- checking a code -------------------------------------------------------------------------


def _clean(code: object) -> str | None:
    """The code as typed, without spaces or dashes; None when it cannot be one."""
    if not isinstance(code, str) or len(code) > CODE_MAX:
        return None
    code = code.replace(" ", "").replace("-", "")
    return code if _CODE_RE.match(code) else None


def _totp_accept(user: User, code: str) -> bool:
    """A right TOTP code of a step after the last one accepted (under the row's lock)."""
    with transaction.atomic():
        totp = (
            Authenticator.objects.select_for_update()
            .filter(user_id=user.pk, type=TOTP_TYPE)
            .first()
        )
        if totp is None:
            return False
        step = _matching_step(decrypt(totp.data["secret"]), code)
        if step is None or step <= totp.data.get("last_step", -1):
            return False
        totp.data["last_step"] = step
        totp.last_used_at = timezone.now()
        totp.save(update_fields=["data", "last_used_at"])
        return True


def _recovery_code_accept(user: User, code: str) -> bool:
    """An unused recovery code, spent (allauth marks it under the row's lock)."""
    if not totp_is_on(user=user):
        return False
    codes = Authenticator.objects.filter(user_id=user.pk, type=RECOVERY_TYPE).first()
    if codes is None or not codes.wrap().validate_code(code):
        return False
    codes.record_usage()
    return True


def _code_accept(user: User, code: str | None) -> str | None:
    """The method that accepted ``code`` (``"totp"`` or ``"recovery_code"``), or None."""
    if code is None:
        return None
    if _totp_accept(user, code):
        return "totp"
    if _recovery_code_accept(user, code):
        return "recovery_code"
    return None


def _failure(user: User) -> None:
    throttles.limit_hit(FAILURES, str(user.pk))


def mfa_code_check(*, user: User, code: object) -> str:
    """Spend ``code`` (TOTP or recovery) of ``user`` with two-factor on; return its method.

    400 on ``code`` when wrong, replayed or spent; 429 (``Throttled``) once the user's bucket of
    wrong codes is full, even for a right code."""
    throttles.limit_check(FAILURES, str(user.pk))
    method = _code_accept(user, _clean(code))
    if method is None:
        _failure(user)
        raise code_refused()
    return method


# --- turning off, renewing -------------------------------------------------------------------


@transaction.atomic
def _mfa_delete(user: User) -> int:
    MfaChallenge.objects.filter(user=user).delete()
    TotpPendingSecret.objects.filter(user=user).delete()
    deleted, _by_model = Authenticator.objects.filter(user_id=user.pk).delete()
    return deleted


def totp_disable(*, user: User, code: object) -> None:
    """Turn TOTP and the recovery codes off, with a current code (TOTP or recovery)."""
    if not totp_is_on(user=user):
        raise mfa_not_on()
    mfa_code_check(user=user, code=code)
    _mfa_delete(user)
    logger.info("user %s turned two-factor off", user.pk)


def mfa_disable_by_staff(*, user: User, by: User | None) -> bool:
    """Staff turn off ``user``'s two-factor (lost phone and codes): True if it was on. Logged
    with who did it (``by`` None: an operator's ``manage.py mfa_disable``); the user signs in
    with the password alone until they set it up again."""
    deleted = _mfa_delete(user)
    who = f"staff {by.pk}" if by is not None else "manage.py mfa_disable"
    logger.warning("two-factor of user %s turned off by %s", user.pk, who)
    return deleted > 0


def recovery_codes_regenerate(*, user: User, code: object) -> list[str]:
    """New recovery codes with a current code; the old ones stop working."""
    if not totp_is_on(user=user):
        raise mfa_not_on()
    mfa_code_check(user=user, code=code)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        codes = _recovery_codes_renew(user)
    logger.info("user %s renewed their recovery codes", user.pk)
    return codes


# --- the sign-in challenge -------------------------------------------------------------------


def mfa_challenge_start(*, user: User) -> str:
    """Open the second step of ``user``'s sign-in; return the opaque token (shown once)."""
    raw = CHALLENGE_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    MfaChallenge.objects.create(
        user=user, token_hash=sha256_hex(raw), created_at=now, expires_at=now + CHALLENGE_LIFETIME
    )
    return raw


def mfa_challenge_verify(*, token: object, code: object) -> tuple[User, str]:
    """Spend the challenge ``token`` with a right code; return its user and the method used.

    One ``InvalidCredentials`` (401) for an unknown, expired, spent or exhausted challenge and
    for a wrong code; ``Throttled`` (429) when the user's bucket of wrong codes is full. A wrong
    code counts against the challenge (dead after 5) and the user's bucket.
    """
    if not isinstance(token, str) or not token.startswith(CHALLENGE_PREFIX) or len(token) > 128:
        raise InvalidCredentials()
    cleaned = _clean(code)
    with transaction.atomic():
        challenge = (
            MfaChallenge.objects.select_for_update()
            .select_related("user")
            .filter(
                token_hash=sha256_hex(token),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
                attempts__lt=CHALLENGE_MAX_ATTEMPTS,
            )
            .first()
        )
        if challenge is None:
            raise InvalidCredentials()
        user = challenge.user
        if user.deleted_at is not None or not user.is_active:
            raise InvalidCredentials()
        throttles.limit_check(FAILURES, str(user.pk))
        method = _code_accept(user, cleaned)
        if method is not None:
            challenge.used_at = timezone.now()
            challenge.save(update_fields=["used_at"])
        else:
            challenge.attempts += 1
            challenge.save(update_fields=["attempts"])
    if method is None:
        _failure(user)
        raise InvalidCredentials()
    return user, method


def mfa_challenge_is_open(*, token: str) -> bool:
    """Whether the challenge ``token`` can still be answered (not spent, expired or
    exhausted): the admin sends the browser back to the password when it cannot."""
    return MfaChallenge.objects.filter(
        token_hash=sha256_hex(token),
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
        attempts__lt=CHALLENGE_MAX_ATTEMPTS,
    ).exists()


def totp_on_q(prefix: str = "") -> Exists:
    """``EXISTS`` (a TOTP authenticator of the user): the users' admin list and filter."""
    return Exists(Authenticator.objects.filter(user_id=OuterRef(f"{prefix}pk"), type=TOTP_TYPE))


def mfa_challenges_purge(*, older_than: timedelta = timedelta(0)) -> int:
    """Delete the challenges that expired more than ``older_than`` ago, and stale set-ups."""
    now = timezone.now()
    deleted, _by_model = MfaChallenge.objects.filter(expires_at__lt=now - older_than).delete()
    TotpPendingSecret.objects.filter(created_at__lt=now - PENDING_SECRET_LIFETIME).delete()
    return deleted
