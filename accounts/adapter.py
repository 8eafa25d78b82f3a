"""allauth's account adapter: allauth's own sign-up page stays closed, emails speak of Huntaze.

* **allauth's own sign-up page** (``/accounts/signup/``) stays closed: the closed beta's local
  sign-up is ``POST /api/auth/signup`` with an invite code, and one door is easier to keep shut
  than two. The page answers allauth's "sign-up closed" template and creates nothing. (Social
  sign-up, open to an invited address only, is ``members.adapter``.)
* Password reset links point at the front end: ``FRONTEND_URL/reset-password?token=<key>``,
  where ``<key>`` is what ``POST /api/auth/password/reset/confirm`` takes.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


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
