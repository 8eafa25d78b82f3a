"""Writes that compose several apps: sign-up, which creates the user and spends its invite."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.selectors import email_is_taken
from huntaze.emails import normalize_email
from huntaze.exceptions import EmailTaken, InviteRequired
from invites.services import invite_is_valid, invite_redeem


@transaction.atomic
def user_signup(*, email: str, password: str, name: str, invite_code: str) -> User:
    """Create a user with an invite, all or nothing (docs/api.md, Auth).

    Order of checks (the body was validated by the caller): the invite (403
    ``invite_required``, one body for missing/used/expired/revoked/other-email), then the email
    (409 ``conflict``, by the one ``email_is_taken`` rule). An already-registered address with
    a valid invite — staff may invite one — is a 409 and its invite stays unused for a later
    sign-up once the address is free (e.g. after the account is deleted).

    The user, its allauth ``EmailAddress`` (verified and primary: the code was sent to that
    address) and the invite redemption share one transaction. The invite is spent by a
    conditional UPDATE (``invite_redeem``); losing that race rolls the user back, so N
    concurrent sign-ups with one code create exactly one user.
    """
    email = normalize_email(email)
    if not invite_is_valid(email=email, code=invite_code):
        raise InviteRequired()
    if email_is_taken(email=email):
        raise EmailTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    except IntegrityError:
        # A concurrent sign-up took the address first. Report what a sequential request
        # would get: the invite rule comes first.
        if not invite_is_valid(email=email, code=invite_code):
            raise InviteRequired() from None
        raise EmailTaken() from None
    if not invite_redeem(email=email, code=invite_code, user=user):
        raise InviteRequired()  # the decorator's transaction rolls the user back
    return user
