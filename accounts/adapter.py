"""allauth's account adapter: allauth's own sign-up page stays closed, emails speak of Huntaze.

* **allauth's own sign-up page** (``/accounts/signup/``) stays closed: the closed beta's local
  sign-up is ``POST /api/auth/signup`` with an invite code, and one door is easier to keep shut
  than two. The page answers allauth's "sign-up closed" template and creates nothing. (Social
  sign-up, open to an invited address only, is ``members.adapter``.)
* Password reset links point at the front end: ``FRONTEND_URL/reset-password?token=<key>``,
  where ``<key>`` is what ``POST /api/auth/password/reset/confirm`` takes.
* Every allauth email goes through the job queue (``send_mail``; docs/jobs.md).
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import EmailMessage

from jobs.email import email_queue


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's email now and queue it for the job worker (docs/jobs.md): the
        request answers before any mail server is contacted, and a rolled-back request sends
        nothing. allauth's own version sends it at once."""
        ctx = {"request": self.request, "email": email, "current_site": _site()}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        email_queue(message=message, kind=template_prefix.rsplit("/", 1)[-1])

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        # The template tests ``username`` (we have none); a missing variable makes
        # django.template log, at DEBUG, the whole context, reset link included.
        context.setdefault("username", "")
        super().send_password_reset_mail(user, email, context)

    def password_reset_message(self, *, user, email: str) -> EmailMessage:
        """allauth's reset email for ``user``, with a fresh key, as allauth's reset flow builds
        it; rendered by the job worker (``accounts.tasks.send_password_reset``), which looks
        the account up, so the request does the same work for any address (docs/auth.md)."""
        uid = user_pk_to_url_str(user)
        temp_key = default_token_generator.make_token(user)
        context = {
            "user": user,
            "password_reset_url": self.get_reset_password_from_key_url(f"{uid}-{temp_key}"),
            "uid": uid,
            "key": temp_key,
            "request": None,
            "email": email,
            "current_site": _site(),
            "username": "",
        }
        return self.render_mail("account/email/password_reset_key", email, context)

    def get_reset_password_from_key_url(self, key: str) -> str:
        return f"{settings.FRONTEND_URL}/reset-password?token={quote(key, safe='')}"


def _site() -> SimpleNamespace:
    # allauth names the site after the request's host (no django.contrib.sites here): the
    # emails speak of Huntaze and of the front end's domain instead.
    return SimpleNamespace(name="Huntaze", domain=urlsplit(settings.FRONTEND_URL).netloc)
