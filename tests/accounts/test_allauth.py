"""allauth's own pages and social sign-up enforce the invite rule."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client, RequestFactory

from accounts.models import User
from invites.models import BetaInvite
from members.adapter import SocialAccountAdapter

pytestmark = pytest.mark.django_db

PASSWORD = "Tr1cky-Passphrase-42"


@pytest.mark.parametrize("with_invite", [False, True])
def test_allauth_signup_page_never_creates_an_account(make_invite, with_invite):
    if with_invite:
        make_invite(email="page@example.test")
    client = Client()
    r = client.get("/accounts/signup/")
    assert r.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in r.templates]
    r = client.post(
        "/accounts/signup/",
        {"email": "page@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="page@example.test").exists()
    assert not EmailAddress.objects.filter(email="page@example.test").exists()
    assert not BetaInvite.objects.filter(used_at__isnull=False).exists()


def test_allauth_login_page_signs_in_an_existing_user(make_user):
    make_user(email="sam@example.test", password=PASSWORD)
    client = Client()
    r = client.post("/accounts/login/", {"login": "sam@example.test", "password": PASSWORD})
    assert r.status_code == 302
    assert client.session.get("_auth_user_id")


def _request():
    request = RequestFactory().get("/accounts/google/login/callback/")
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    request.session.save()
    request.user = AnonymousUser()
    return request


def _sociallogin(email: str, verified: bool = True) -> SocialLogin:
    user = User(email=email, name="G")
    account = SocialAccount(provider="google", uid=f"uid-{email}", extra_data={"email": email})
    return SocialLogin(
        user=user,
        account=account,
        email_addresses=[EmailAddress(email=email, verified=verified, primary=True)],
    )


def _complete(sociallogin):
    request = _request()
    with context.request_context(request):
        sociallogin.provider = sociallogin.account.get_provider(request)
        try:
            return complete_social_login(request, sociallogin)
        except ImmediateHttpResponse as exc:
            return exc.response


def test_social_signup_without_invite_creates_nothing():
    r = _complete(_sociallogin("nogo@example.test"))
    assert r.status_code in (200, 403)
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_social_signup_with_unverified_email_creates_nothing(make_invite):
    make_invite(email="unverified@example.test")
    _complete(_sociallogin("unverified@example.test", verified=False))
    assert not User.objects.exists()


@pytest.mark.parametrize("state", ["used", "revoked", "expired"])
def test_social_signup_with_unusable_invite_creates_nothing(make_invite, make_user, state):
    from datetime import timedelta

    from django.utils import timezone

    extra = {
        "used": {"used_at": timezone.now()},
        "revoked": {"revoked_at": timezone.now()},
        "expired": {"expires_in": timedelta(seconds=-1)},
    }[state]
    make_invite(email="g@example.test", **extra)
    _complete(_sociallogin("g@example.test"))
    assert not User.objects.filter(email="g@example.test").exists()


def test_social_signup_with_pending_invite_creates_user_and_spends_invite(make_invite):
    invite = make_invite(email="google@example.test")
    r = _complete(_sociallogin("Google@Example.test"))
    assert r.status_code == 302, r
    user = User.objects.get(email="google@example.test")
    invite.refresh_from_db()
    assert invite.used_by_id == user.pk and invite.used_at is not None
    assert SocialAccount.objects.filter(user=user, provider="google").exists()
    assert not user.has_usable_password()


def test_social_save_user_rolls_back_when_the_invite_is_spent_meanwhile(make_invite, make_user):
    """The invite is spent by a conditional UPDATE in the user's transaction: losing the race
    leaves no user behind."""
    invite = make_invite(email="late@example.test")
    adapter = SocialAccountAdapter()
    sociallogin = _sociallogin("late@example.test")
    request = _request()
    # Someone else redeems the invite between the open-for-signup check and the save.
    assert adapter.is_open_for_signup(request, sociallogin)
    BetaInvite.objects.filter(pk=invite.pk).update(used_at=invite.created_at)
    with context.request_context(request), pytest.raises(ImmediateHttpResponse):
        adapter.save_user(request, sociallogin)
    assert not User.objects.filter(email="late@example.test").exists()
