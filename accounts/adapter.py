"""allauth adapters: no account is created without a valid invite, whatever the door.

* **allauth's own sign-up page** (``/accounts/signup/``) stays closed: the closed beta's local
  sign-up is ``POST /api/auth/signup`` with an invite code, and one door is easier to keep shut
  than two. The page answers allauth's "sign-up closed" template and creates nothing.
* **Social sign-up** (Google first; providers are configured by environment) is open only
  for an address the provider reports as *verified* and that holds a pending invite (unused,
  unexpired, unrevoked, same email case-insensitively). The provider's verification stands in
  for the code, whose only job is to prove control of the invited address. The invite is spent
  with ``invites.services.invite_redeem`` (one conditional UPDATE) inside the transaction that
  creates the user; when that update loses a race the whole sign-up is rolled back.
* Password reset links point at the front end: ``FRONTEND_URL/reset-password?token=<key>``,
  where ``<key>`` is what ``POST /api/auth/password/reset/confirm`` takes.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import transaction
from django.shortcuts import render

from huntaze.emails import normalize_email
from invites.services import invite_pending_for, invite_redeem


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth names the site after the request's host (no django.contrib.sites here): the
        # emails speak of Huntaze and of the front end's domain instead.
        context.setdefault(
            "current_site",
            SimpleNamespace(name="Huntaze", domain=urlsplit(settings.FRONTEND_URL).netloc),
        )
        super().send_mail(template_prefix, email, context)

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        # The template tests ``username`` (we have none); a missing variable makes
        # django.template log, at DEBUG, the whole context, reset link included.
        context.setdefault("username", "")
        super().send_password_reset_mail(user, email, context)

    def get_reset_password_from_key_url(self, key: str) -> str:
        return f"{settings.FRONTEND_URL}/reset-password?token={quote(key, safe='')}"


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
