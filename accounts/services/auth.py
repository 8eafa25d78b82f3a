"""Auth services: sign-in and the password flows (docs/auth.md).

Sign-up, which redeems an invite, is ``members.services.user_signup``. Tokens (access JWTs,
refresh-token rotation and revocation) are ``accounts.services.tokens``.
"""

from __future__ import annotations

import logging
import re

from allauth.account.forms import ResetPasswordForm, UserTokenForm
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services.tokens import refresh_tokens_revoke_for_user
from huntaze import metrics
from huntaze.emails import normalize_email
from huntaze.exceptions import InvalidCredentials, ValidationFailed

logger = logging.getLogger("huntaze.accounts")


# --- sign-in ---------------------------------------------------------------------------------


def user_signin(*, request, email: str, password: str) -> User:
    """Check credentials with Django's ``authenticate`` (inactive users refused).

    One ``InvalidCredentials`` for an unknown email, a wrong password, an inactive or a deleted
    user. Both configured backends hash the password even for an unknown email, so the
    response time does not reveal whether the address exists.
    """
    user = authenticate(request, email=normalize_email(email), password=password)
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
    form = ResetPasswordForm(data={"email": normalize_email(email)})
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
