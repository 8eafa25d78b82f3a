"""allauth adapters: no account is created without a valid invite, whatever the door.

Issue 10 completes the invite check for allauth's own sign-up pages and social sign-up.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Closed beta: allauth's own sign-up form is closed; creators sign up through the API
        # with an invite code.
        return False

    def get_reset_password_from_key_url(self, key: str) -> str:
        return f"{settings.FRONTEND_URL}/reset-password?token={key}"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False
