"""Auth services: sign-in and the password flows (docs/auth.md).

Sign-up, which redeems an invite, is ``members.services.user_signup``. Tokens (access JWTs,
refresh-token rotation and revocation) are ``accounts.services.tokens``.
"""

from __future__ import annotations

import logging
import re

from allauth.account.adapter import get_adapter
from allauth.account.forms import ResetPasswordForm, UserTokenForm
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services.tokens import refresh_tokens_revoke_for_user
from huntaze import metrics
from huntaze.emails import normalize_email
from huntaze.exceptions import InvalidCredentials, ValidationFailed
from jobs.email import email_queue_unrendered

logger = logging.getLogger("huntaze.accounts")

SEND_PASSWORD_RESET = "accounts.send_password_reset"  # its job (accounts/tasks.py)


# --- sign-in ---------------------------------------------------------------------------------


def user_signin(*, request, email: str, password: str) -> User:
    """Check credentials with Django's ``authenticate`` (inactive users refused).

    One ``InvalidCredentials`` for an unknown email, a wrong password, an inactive or a deleted
    user. Both configured backends hash the password even for an unknown email, so the
    response time does not reveal whether the address exists.

    With two-factor on, the sign-in is not complete yet (``accounts.services.mfa``): the caller
    opens a challenge, and ``user_login_record`` runs after the code.
    """
    user = authenticate(request, email=normalize_email(email), password=password)
    if user is None or user.deleted_at is not None or not user.is_active:
        metrics.signin_observe(success=False)
        raise InvalidCredentials()
    metrics.signin_observe(success=True)
    return user


def user_login_record(*, user: User) -> None:
    """A completed sign-in: the last sign-in time staff see."""
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())


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


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Queue a password reset for ``email``, whoever it belongs to; the caller answers 202.

    The request does the same work for every address — one ``OutboundEmail`` row and one job,
    nothing looked up — so neither the answer nor its time tells whether the address has an
    account (docs/auth.md). The job worker (``accounts.tasks.send_password_reset``) finds the
    live account and sends allauth's reset email, or sends nothing. The link is
    ``FRONTEND_URL/reset-password?token=<uid>-<key>`` (``accounts.adapter``), the key being
    allauth's token: it covers the password hash, so it is single use, and expires after
    ``PASSWORD_RESET_TIMEOUT``.
    """
    email_queue_unrendered(
        kind="password_reset", to=normalize_email(email), task_name=SEND_PASSWORD_RESET
    )


def password_reset_messages(*, email: str) -> list[EmailMessage]:
    """The reset emails to send for ``email`` (in the job worker): one per live account of the
    address (normally one), none for an unknown, inactive or deleted one."""
    form = ResetPasswordForm(data={"email": normalize_email(email)})
    if not form.is_valid():
        return []
    adapter = get_adapter()
    return [
        adapter.password_reset_message(user=user, email=email)
        for user in form.users
        if user.deleted_at is None and user.is_active
    ]


_RESET_TOKEN = re.compile(r"^([0-9a-f]{32})-([0-9A-Za-z]{1,13}-[0-9a-f]{1,128})$")


def reset_token_invalid() -> ValidationFailed:
    """The one answer to a reset token that is malformed, used, expired or of no live user."""
    return ValidationFailed(
        fields={"token": [str(_("Lien de réinitialisation invalide ou expiré."))]}
    )


def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password from a reset token (400 ``validation_error`` on ``token`` if bad).

    Runs Django's password validators, then revokes every refresh token of the user.
    """
    invalid = reset_token_invalid()
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
