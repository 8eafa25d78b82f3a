"""Auth services: sign-up, sign-in, refresh-token rotation, sign-out and password flows.

Refresh tokens (SPEC 4.1):

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

import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from allauth.account.forms import ResetPasswordForm, UserTokenForm
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import RefreshToken, User
from accounts.tokens import access_token_issue
from huntaze import metrics
from huntaze.exceptions import (
    Conflict,
    InvalidCredentials,
    InviteRequired,
    TokenInvalid,
    ValidationFailed,
)
from invites.services import invite_is_valid, invite_redeem

logger = logging.getLogger("huntaze.accounts")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    refresh_expires_at: datetime


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


# --- tokens ----------------------------------------------------------------------------------


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
        token_hash=_digest(raw),
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


def _family_revoke(family: uuid.UUID) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def refresh_tokens_revoke_for_user(*, user: User) -> int:
    """Revoke every live refresh token of ``user`` (password change/reset)."""
    return RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def refresh_token_rotate(*, raw: str) -> tuple[User, TokenPair]:
    """Spend ``raw`` and return its user with a new access token and the family's next token.

    Raises ``TokenInvalid`` (401) for an unknown, expired, spent or revoked token, and for a
    deleted or inactive user. A spent or revoked token revokes its whole family first (that
    revocation is committed even though the request fails).
    """
    if not raw or len(raw) > 256:
        raise TokenInvalid()
    digest = _digest(raw)
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
    if not raw or len(raw) > 256:
        return
    family = (
        RefreshToken.objects.filter(token_hash=_digest(raw))
        .values_list("family", flat=True)
        .first()
    )
    if family is not None:
        _family_revoke(family)


# --- sign-up and sign-in ---------------------------------------------------------------------


@transaction.atomic
def user_signup(*, email: str, password: str, name: str, invite_code: str) -> User:
    """Create a user with an invite, all or nothing (SPEC 4.1).

    Order of checks (the body was validated by the caller): the invite (403
    ``invite_required``, one body for missing/used/expired/revoked/other-email), then the email
    (409 ``conflict``). An already-registered address with a valid invite — staff may invite
    one — is a 409 and its invite stays unused for a later sign-up once the address is free
    (e.g. after the account is deleted).

    The user, its allauth ``EmailAddress`` (verified and primary: the code was sent to that
    address) and the invite redemption share one transaction. The invite is spent by a
    conditional UPDATE (``invite_redeem``); losing that race rolls the user back, so N
    concurrent sign-ups with one code create exactly one user.
    """
    email = _normalize_email(email)
    if not invite_is_valid(email=email, code=invite_code):
        raise InviteRequired()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(_("Cette adresse email est déjà utilisée."))
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    except IntegrityError:
        # A concurrent sign-up took the address first. Report what a sequential request
        # would get: the invite rule comes first.
        if not invite_is_valid(email=email, code=invite_code):
            raise InviteRequired() from None
        raise Conflict(_("Cette adresse email est déjà utilisée.")) from None
    if not invite_redeem(email=email, code=invite_code, user=user):
        raise InviteRequired()  # the decorator's transaction rolls the user back
    return user


def user_signin(*, request, email: str, password: str) -> User:
    """Check credentials with Django's ``authenticate`` (inactive users refused).

    One ``InvalidCredentials`` for an unknown email, a wrong password, an inactive or a deleted
    user. Both configured backends hash the password even for an unknown email, so the
    response time does not reveal whether the address exists.
    """
    user = authenticate(request, email=_normalize_email(email), password=password)
    if user is None or user.deleted_at is not None or not user.is_active:
        metrics.signin_observe(success=False)
        raise InvalidCredentials()
    metrics.signin_observe(success=True)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user


# --- passwords -------------------------------------------------------------------------------


def _validate_new_password(password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(fields={field: list(exc.messages)}) from None


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> None:
    """Change the password; earlier access tokens and every refresh token stop working."""
    if not user.check_password(current_password):
        raise ValidationFailed(fields={"current_password": [str(_("Mot de passe incorrect."))]})
    _validate_new_password(new_password, user, "new_password")
    user.set_password(new_password)  # also stamps password_changed_at
    user.save(update_fields=["password", "password_changed_at", "updated_at"])
    refresh_tokens_revoke_for_user(user=user)


def password_reset_request(*, request, email: str) -> None:
    """Send allauth's reset email to a live account of ``email``; silent otherwise.

    The caller always answers 202 (no enumeration). The link is
    ``FRONTEND_URL/reset-password?token=<uid>-<key>`` (``accounts.adapter``), the key being
    allauth's ``default_token_generator`` token: it covers the password hash, so it is single
    use, and expires after ``PASSWORD_RESET_TIMEOUT``.
    """
    form = ResetPasswordForm(data={"email": _normalize_email(email)})
    if not form.is_valid():
        return
    form.users = [u for u in form.users if u.deleted_at is None and u.is_active]
    if not form.users:
        return
    try:
        form.save(request)
    except Exception:
        # The answer is 202 whatever happens: a mail server that is down must neither turn this
        # into a 500 nor tell a known address from an unknown one. Logged without the address.
        logger.exception("password reset email could not be sent")


_RESET_TOKEN = re.compile(r"^([0-9a-f]{32})-([0-9A-Za-z]{1,13}-[0-9a-f]{1,128})$")


def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password from a reset token (400 ``validation_error`` on ``token`` if bad).

    Runs Django's password validators, then revokes every refresh token of the user.
    """
    invalid = ValidationFailed(
        fields={"token": [str(_("Lien de réinitialisation invalide ou expiré."))]}
    )
    match = _RESET_TOKEN.match(token or "")
    if not match:
        raise invalid
    form = UserTokenForm(data={"uidb36": match.group(1), "key": match.group(2)})
    if not form.is_valid():
        raise invalid
    user: User = form.reset_user
    if user.deleted_at is not None or not user.is_active:
        raise invalid
    _validate_new_password(new_password, user, "new_password")
    with transaction.atomic():
        # Lock the row and re-check the token so two confirms of one token cannot both pass.
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not UserTokenForm.token_generator.check_token(locked, match.group(2)):
            raise invalid
        locked.set_password(new_password)
        locked.save(update_fields=["password", "password_changed_at", "updated_at"])
        refresh_tokens_revoke_for_user(user=locked)
    return locked
