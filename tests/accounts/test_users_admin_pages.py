"""The user page and list as staff use them (docs/admin.md): staff access on a confirmed page,
what the page tells about a creator, and "who never came back"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from billing.models import SubscriptionRecord
from content.models import AiUsage
from content.selectors import usage_month
from tests.factories import make_refresh_token

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/user/"


@pytest.fixture
def staff(make_admin):
    admin_user = make_admin()
    client = Client()
    client.force_login(admin_user)
    client.admin_user = admin_user
    return client


def _role_url(user) -> str:
    return f"{USERS}{user.pk}/role/"


def test_role_and_plan_are_read_only_on_the_user_page(staff, user):
    html = staff.get(f"{USERS}{user.pk}/change/").content.decode()
    assert 'name="role"' not in html and 'name="subscription"' not in html
    assert 'name="name"' in html  # what staff may edit is still a field
    assert f'href="{_role_url(user)}"' in html


def test_staff_access_is_granted_on_a_confirmation_page(staff, user):
    confirm = staff.get(_role_url(user))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert user.email in html and "tous les droits" in html
    user.refresh_from_db()
    assert user.role == Role.CREATOR and not user.is_staff  # a GET changes nothing

    done = staff.post(_role_url(user), {"role": "ADMIN"}, follow=True)
    assert "est maintenant staff" in done.content.decode()
    user.refresh_from_db()
    assert user.role == Role.ADMIN and user.is_staff

    staff.post(_role_url(user), {"role": "CREATOR"})
    user.refresh_from_db()
    assert user.role == Role.CREATOR and not user.is_staff


def test_nobody_removes_their_own_staff_access(staff):
    response = staff.post(_role_url(staff.admin_user), {"role": "CREATOR"}, follow=True)
    assert "propre accès staff" in response.content.decode()
    assert User.objects.get(pk=staff.admin_user.pk).role == Role.ADMIN


def test_a_deleted_account_cannot_be_made_staff(staff, user):
    from accounts.services.users import user_soft_delete

    user_soft_delete(user=user)
    staff.post(_role_url(user), {"role": "ADMIN"})
    user.refresh_from_db()
    assert user.role == Role.CREATOR


def test_a_creator_cannot_use_the_role_page(user, make_user):
    target = make_user()
    client = Client()
    client.force_login(user)
    response = client.post(_role_url(target), {"role": "ADMIN"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    target.refresh_from_db()
    assert target.role == Role.CREATOR


def test_the_user_page_shows_invite_activity_content_keys_ai_and_subscription(
    staff, make_user, make_invite, make_asset, make_api_key
):
    user = make_user(email="busy@example.test")
    invite = make_invite(email=user.email, used_at=timezone.now(), used_by=user)
    for _ in range(3):
        make_asset(user=user)
    make_api_key(user=user)
    revoked, _raw = make_api_key(user=user)
    revoked.revoked_at = timezone.now()
    revoked.save()
    AiUsage.objects.create(user=user, month=usage_month(), count=4)
    SubscriptionRecord.objects.create(user=user, plan="PRO", status="ACTIVE")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(days=2))
    make_refresh_token(user=user)  # a session renewal today

    html = staff.get(f"{USERS}{user.pk}/change/").content.decode()
    assert f"/admin/invites/betainvite/{invite.pk}/change/" in html and invite.code in html
    assert f'?user__id__exact={user.pk}">3</a>' in html  # content count, linked
    assert "1 active sur 2" in html
    assert "4 générations" in html
    assert "/admin/billing/subscriptionrecord/" in html and "Actif" in html
    assert "<title>busy@example.test | Compte créateur |" in html
    english = staff.get(f"{USERS}{user.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Invite used" in english and "AI this month" in english and "4 generations" in english


def test_list_shows_last_activity_and_finds_who_never_came_back(staff, make_user):
    now = timezone.now()
    # Signed up ten days ago, one session on the day, nothing since: never came back.
    gone = make_user(email="gone@example.test", created_at=now - timedelta(days=10))
    make_refresh_token(user=gone, created_at=now - timedelta(days=10))
    # Signed up ten days ago and stayed signed in: renewed the session yesterday.
    loyal = make_user(email="loyal@example.test", created_at=now - timedelta(days=10))
    make_refresh_token(user=loyal, created_at=now - timedelta(days=1))
    # Signed in again (no refresh token rows at all: an older client).
    back = make_user(email="back@example.test", created_at=now - timedelta(days=10))
    User.objects.filter(pk=back.pk).update(last_login=now - timedelta(days=3))
    # Signed up an hour ago: too early to say.
    make_user(email="new@example.test", created_at=now - timedelta(hours=1))

    page = staff.get(USERS)
    html = page.content.decode()
    assert "Dernière activité" in html and "activity=never_back" in html
    never = staff.get(USERS, {"activity": "never_back"}).context["cl"].result_list
    assert [u.email for u in never] == ["gone@example.test"]
    recent = staff.get(USERS, {"activity": "7d"}).context["cl"].result_list
    assert {u.email for u in recent} >= {"loyal@example.test", "back@example.test"}
    assert "gone@example.test" not in {u.email for u in recent}
    by_activity = staff.get(USERS, {"o": "6"}).context["cl"].result_list  # the column sorts
    assert [u.email for u in by_activity].index("gone@example.test") < [
        u.email for u in by_activity
    ].index("loyal@example.test")
