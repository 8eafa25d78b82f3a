"""allauth's social account adapter: no account is created without a valid invite.

Social sign-up (Google first; providers are configured by environment) is open only for an
address the provider reports as *verified* and that holds a pending invite (unused, unexpired,
unrevoked, same email case-insensitively). The provider's verification stands in for the code,
whose only job is to prove control of the invited address. The invite is spent with
``invites.services.invite_redeem`` (one conditional UPDATE) inside the transaction that creates
the user; when that update loses a race the whole sign-up is rolled back. allauth's own sign-up
page stays closed (``accounts.adapter``): the local sign-up is ``POST /api/auth/signup``.
"""

from __future__ import annotations

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.db import transaction
from django.shortcuts import render

from huntaze.emails import normalize_email
from invites.services import invite_pending_for, invite_redeem


def _verified_email(sociallogin) -> str:
    """The provider-verified address of a social login, lower-cased, or ``""``."""
    for address in sociallogin.email_addresses or []:
        if address.verified and address.email:
            return normalize_email(address.email)
    return ""


def _closed(request):
    return render(request, "account/signup_closed.html", status=403)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        email = _verified_email(sociallogin)
        return bool(email) and invite_pending_for(email=email) is not None

    def save_user(self, request, sociallogin, form=None):
        """Create the user and spend the invite in one transaction (or neither)."""
        email = _verified_email(sociallogin)
        invite = invite_pending_for(email=email) if email else None
        if invite is None:
            raise ImmediateHttpResponse(_closed(request))
        with transaction.atomic():
            sociallogin.user.email = email
            user = super().save_user(request, sociallogin, form=form)
            # The social sign-up form may carry another address: the account must be the
            # invited one. Raising inside the block rolls the user back.
            if (user.email or "").lower() != email or not invite_redeem(
                email=email, code=invite.code, user=user
            ):
                raise ImmediateHttpResponse(_closed(request))
        return user
