"""User services: profile update, soft delete, restore, role, purge (docs/users.md).

Soft delete follows Zulip's ``do_deactivate_user``: one atomic action that leaves nothing
usable behind — the email is freed (placeholder), allauth's address and social rows go, every
refresh token and API key is revoked, and the password is replaced by an unusable one, which
also ends every Django session (Django checks each session's ``HASH_SESSION_KEY`` against
``get_session_auth_hash()``, an HMAC of the password field) and makes sign-in impossible.
``is_active=False`` is a second lock: ``authenticate()``, the session loader and our JWT and
API-key authentication all refuse inactive users.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core.context import request_context
from allauth.socialaccount.models import SocialAccount
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import email_is_taken
from accounts.services.keys import api_keys_revoke_for_user
from accounts.services.tokens import refresh_tokens_revoke_for_user
from huntaze.emails import normalize_email
from huntaze.exceptions import Conflict, EmailTaken, ValidationFailed

logger = logging.getLogger(__name__)

DELETED_EMAIL_DOMAIN = "deleted.invalid"
UNSET: Any = object()


def deleted_email_placeholder(*, user: User) -> str:
    """A unique, undeliverable address derived from the user id (RFC 2606 ``.invalid``)."""
    return f"deleted+{user.pk.hex}@{DELETED_EMAIL_DOMAIN}"


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    name: str = UNSET,
    avatar: str | None = UNSET,
    email: str = UNSET,
    request: HttpRequest | None = None,
) -> User:
    """Change any of ``name``, ``avatar``, ``email``; nothing else is reachable from here.

    A new email is taken at once as the login (stored lower-cased) and recorded with allauth
    as the primary address, *unverified*; allauth's confirmation email is sent to it after
    commit. The user's other allauth addresses are removed, so the old address is free again.
    A taken address (case-insensitive, another account's login or allauth address) is 409;
    the unique constraint on the email closes the race between two concurrent changes.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    changed: list[str] = []
    if name is not UNSET and name != user.name:
        user.name = name
        changed.append("name")
    if avatar is not UNSET and avatar != user.avatar:
        user.avatar = avatar
        changed.append("avatar")
    new_address = None
    if email is not UNSET:
        email = normalize_email(email)
        if email != user.email:
            if email_is_taken(email=email, exclude_user=user):
                raise EmailTaken()
            user.email = email
            changed.append("email")
            EmailAddress.objects.filter(user=user).delete()
            new_address = EmailAddress.objects.create(
                user=user, email=email, primary=True, verified=False
            )
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    if new_address is not None:
        address = new_address
        transaction.on_commit(lambda: _send_email_confirmation(address=address, request=request))
    return user


def _send_email_confirmation(*, address: EmailAddress, request: HttpRequest | None) -> None:
    """allauth's confirmation email (its link verifies the address); a failed send is logged,
    never undoes the change: the user can ask for a new link from allauth's email page."""
    try:
        with request_context(request) if request is not None else nullcontext():
            address.send_confirmation(request, signup=False)
    except Exception:
        logger.exception("could not send the email confirmation to user %s", address.user_id)


@transaction.atomic
def user_soft_delete(*, user: User) -> User:
    """Delete ``user`` softly, in one transaction (idempotent on an already deleted user).

    Afterwards: the login email is a placeholder (the address can sign up again with a new
    invite), sign-in is impossible, and every access token, refresh token, API key and session
    of the user is refused. Content and the subscription record stay until
    ``purge_deleted_users`` so that staff can restore the account.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None:
        return user
    now = timezone.now()
    user.deleted_email = user.email
    user.email = deleted_email_placeholder(user=user)
    user.deleted_at = now
    user.is_active = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "deleted_email",
            "email",
            "deleted_at",
            "is_active",
            "password",
            "updated_at",
        ]
    )
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    refresh_tokens_revoke_for_user(user=user)
    api_keys_revoke_for_user(user=user)
    return user


@transaction.atomic
def user_restore(*, user: User, email: str | None = None) -> User:
    """Bring a soft-deleted user back (staff only), under ``email`` or the former address.

    The former address may have been taken again meanwhile (a new sign-up): then this raises
    ``Conflict`` and staff give a new ``email``. Tokens and keys revoked by the deletion stay
    revoked, and the password stays unusable: the user sets a new one with a password reset.
    The restored address is recorded with allauth as verified when it is the former one (it
    was the invited, hence verified, address) and unverified when staff typed a new one.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is None:
        raise Conflict(_("Ce compte n'est pas supprimé."))
    target = normalize_email(email or user.deleted_email or "")
    if not target:
        raise ValidationFailed(
            _("Indiquez une adresse email pour restaurer ce compte."),
            fields={"email": [str(_("Ce champ est obligatoire."))]},
        )
    if email_is_taken(email=target, exclude_user=user):
        raise Conflict(
            _("L'adresse %(email)s est de nouveau utilisée : indiquez une nouvelle adresse.")
            % {"email": target}
        )
    verified = target == user.deleted_email
    user.email = target
    user.deleted_email = None
    user.deleted_at = None
    user.is_active = True
    user.save(update_fields=["email", "deleted_email", "deleted_at", "is_active", "updated_at"])
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=target, primary=True, verified=verified)
    return user


@transaction.atomic
def user_role_set(*, user: User, role: str, by: User | None = None) -> User:
    """Make ``user`` staff (``Role.ADMIN``) or a creator again; staff do it in the admin, on a
    confirmation page (never an editable field: ADMIN is every admin permission at once).

    Refused with ``ValidationFailed``: an unknown role, a deleted or deactivated account, and
    ``by`` removing their own staff access (the last staff member could lock everyone out).
    Setting the role a user already has is a no-op.
    """
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [str(_("Rôle inconnu."))]})
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None or not user.is_active:
        raise ValidationFailed(_("Ce compte est supprimé ou désactivé : son rôle ne change pas."))
    if by is not None and by.pk == user.pk and role != Role.ADMIN:
        raise ValidationFailed(_("Vous ne pouvez pas retirer votre propre accès staff."))
    if user.role != role:
        user.role = role
        user.save(update_fields=["role", "updated_at"])
        logger.info("user %s role set to %s by %s", user.pk, role, getattr(by, "pk", None))
    return user


def user_sign_out_everywhere(*, user: User, by: User | None = None) -> int:
    """End every session of ``user`` (staff do it from the user's admin page): every refresh
    family is revoked (apps, front ends, scripts must sign in again) and every signed-in Django
    session (admin, allauth pages) deleted. An access token already issued lives out its 15
    minutes; API keys are unchanged. Returns the refresh tokens revoked; logged with ``by``."""
    from django.contrib.sessions.models import Session

    revoked = refresh_tokens_revoke_for_user(user=user)
    # Sessions store the user id inside their signed data: read each live one (a beta's worth).
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    logger.warning(
        "user %s signed out everywhere by %s (%d refresh tokens revoked, %d sessions ended)",
        user.pk,
        getattr(by, "pk", None),
        revoked,
        len(ended),
    )
    return revoked


def users_purge_deleted(*, days: int, dry_run: bool = False) -> int:
    """Hard-delete users soft-deleted more than ``days`` days ago, with their data.

    Content, API keys, refresh tokens, the subscription record and allauth rows go with the
    user (``on_delete=CASCADE``); invites they used or issued keep existing, with the link
    cleared (``SET_NULL``). Returns how many users were (or, with ``dry_run``, would be) deleted.
    """
    cutoff = timezone.now() - timedelta(days=days)
    doomed = User.objects.filter(deleted_at__isnull=False, deleted_at__lt=cutoff)
    count = doomed.count()
    if not dry_run and count:
        with transaction.atomic():
            doomed.delete()
    return count
