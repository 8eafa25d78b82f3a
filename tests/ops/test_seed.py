"""manage.py seed (docs/api.md, Operations): idempotent, usable credentials, refuses production settings."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from content.models import ContentAsset
from invites.models import BetaInvite, InviteStatus

CREATOR, ADMIN = "creator@huntaze.test", "admin@huntaze.test"
SEED_PASSWORD = "Seed-Passw0rd-For-Tests"


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "addresses": EmailAddress.objects.count(),
        "assets": ContentAsset.objects.count(),
        "invites": BetaInvite.objects.count(),
    }


def _admin_login(email: str, password: str) -> Client:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": email, "password": password, "next": "/admin/"}
    )
    client.login_response = response
    return client


@pytest.fixture
def dev_settings(settings):
    settings.DEBUG = True
    return settings


@pytest.mark.django_db
def test_seed_twice_makes_the_same_rows_and_seed_password_works(dev_settings, monkeypatch):
    monkeypatch.setenv("SEED_PASSWORD", SEED_PASSWORD)
    first_output = _seed()
    after_first = _counts()
    assert after_first == {"users": 2, "addresses": 2, "assets": 5, "invites": 3}
    assert SEED_PASSWORD not in first_output  # the operator's own password is not echoed

    second_output = _seed()
    assert _counts() == after_first
    assert "0 created now" in second_output

    creator = User.objects.get(email=CREATOR)
    admin = User.objects.get(email=ADMIN)
    assert creator.role == Role.CREATOR and not creator.is_staff
    assert admin.role == Role.ADMIN and admin.is_staff
    for user in (creator, admin):
        assert user.check_password(SEED_PASSWORD)
        address = EmailAddress.objects.get(user=user)
        assert (address.email, address.verified, address.primary) == (user.email, True, True)

    assets = ContentAsset.objects.filter(user=creator)
    assert {a.type for a in assets} == {"POST", "STORY", "VIDEO", "IMAGE", "CAPTION"}
    assert all(a.tags for a in assets)
    assert len({a.category for a in assets if a.category}) >= 3
    invites = list(BetaInvite.objects.all())
    assert all(i.status == InviteStatus.PENDING and i.created_by == admin for i in invites)
    # Invite codes are not printed (staff see them in the admin).
    assert not any(i.code in first_output + second_output for i in invites)

    for text in (first_output, second_output):
        assert "http://127.0.0.1:8000/api/docs" in text
        assert "/admin/" in text and "/api/auth/signin" in text


@pytest.mark.django_db
def test_seeded_admin_logs_into_the_admin_and_the_creator_does_not(dev_settings, monkeypatch):
    monkeypatch.setenv("SEED_PASSWORD", SEED_PASSWORD)
    _seed()

    admin_client = _admin_login(ADMIN, SEED_PASSWORD)
    assert admin_client.login_response.status_code == 302
    assert admin_client.login_response["Location"] == "/admin/"
    assert admin_client.get("/admin/").status_code == 200
    assert admin_client.get("/admin/invites/betainvite/").status_code == 200

    creator_client = _admin_login(CREATOR, SEED_PASSWORD)
    assert creator_client.login_response.status_code == 200  # the form again, with an error
    assert creator_client.get("/admin/").status_code == 302  # to the login page

    # allauth's own login works too (verified, primary EmailAddress rows).
    allauth_client = Client()
    response = allauth_client.post(
        "/accounts/login/", {"login": CREATOR, "password": SEED_PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    assert allauth_client.session.get("_auth_user_id") == str(User.objects.get(email=CREATOR).pk)


@pytest.mark.django_db
def test_generated_password_is_printed_once_and_kept_on_rerun(dev_settings, monkeypatch):
    monkeypatch.delenv("SEED_PASSWORD", raising=False)
    first_output = _seed()
    printed = set(re.findall(r"password: (\S+)", first_output))
    assert len(printed) == 1, first_output
    password = printed.pop()
    assert len(password) >= 12
    assert _admin_login(ADMIN, password).login_response.status_code == 302
    assert User.objects.get(email=CREATOR).check_password(password)

    second_output = _seed()
    assert password not in second_output
    assert "existing password kept" in second_output
    assert User.objects.get(email=ADMIN).check_password(password)

    monkeypatch.setenv("SEED_PASSWORD", SEED_PASSWORD)  # SEED_PASSWORD resets it
    third_output = _seed()
    assert "password from SEED_PASSWORD" in third_output
    assert User.objects.get(email=ADMIN).check_password(SEED_PASSWORD)
    assert _counts() == {"users": 2, "addresses": 2, "assets": 5, "invites": 3}


@pytest.mark.django_db
def test_seed_restores_the_seed_rows_an_operator_broke(dev_settings, monkeypatch):
    monkeypatch.setenv("SEED_PASSWORD", SEED_PASSWORD)
    _seed()
    admin = User.objects.get(email=ADMIN)
    User.objects.filter(pk=admin.pk).update(role=Role.CREATOR, is_active=False)
    EmailAddress.objects.filter(user=admin).update(verified=False, primary=False)
    ContentAsset.objects.filter(metadata__seed="studio-tour").delete()

    _seed()
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN and admin.is_active
    assert EmailAddress.objects.filter(user=admin, verified=True, primary=True).count() == 1
    assert _counts() == {"users": 2, "addresses": 2, "assets": 5, "invites": 3}


@pytest.mark.django_db
def test_seed_refuses_without_debug_in_process(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as excinfo:
        _seed()
    assert excinfo.value.returncode == 1
    assert "--force" in str(excinfo.value)
    assert _counts() == {"users": 0, "addresses": 0, "assets": 0, "invites": 0}


@pytest.mark.slow
def test_seed_with_production_settings_exits_1_unless_forced(throwaway_db):
    refused = throwaway_db.manage("seed")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "--force" in refused.stderr
    assert throwaway_db.execute("SELECT count(*) FROM users") == [(0,)]

    env = {**throwaway_db.env, "SEED_PASSWORD": SEED_PASSWORD}
    forced = throwaway_db.manage("seed", "--force", env=env)
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert throwaway_db.execute("SELECT email, role FROM users ORDER BY email") == [
        (ADMIN, "ADMIN"),
        (CREATOR, "CREATOR"),
    ]
    again = throwaway_db.manage("seed", "--force", env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert throwaway_db.execute(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM content_assets), "
        "(SELECT count(*) FROM beta_invites), (SELECT count(*) FROM account_emailaddress)"
    ) == [(2, 5, 3, 2)]


@pytest.mark.django_db
def test_seed_never_reinvites_a_used_or_revoked_address_nor_a_member(dev_settings, monkeypatch):
    """A tester signed up with beta1's invite, staff revoked beta2's, beta3's expired, and
    someone created an account for a fourth demo address by other means: a re-run renews only
    the expired one."""
    from invites.services import invite_revoke

    monkeypatch.setenv("SEED_PASSWORD", SEED_PASSWORD)
    _seed()
    invites = {i.email: i for i in BetaInvite.objects.all()}
    beta1, beta2, beta3 = (invites[f"beta{n}@huntaze.test"] for n in (1, 2, 3))
    member = User.objects.create_user(email="beta1@huntaze.test", password=SEED_PASSWORD)
    BetaInvite.objects.filter(pk=beta1.pk).update(used_at=timezone.now(), used_by=member)
    invite_revoke(invite=beta2)
    BetaInvite.objects.filter(pk=beta3.pk).update(expires_at=timezone.now() - timedelta(days=1))

    output = _seed()
    by_email = {}
    for invite in BetaInvite.objects.order_by("created_at"):
        by_email.setdefault(invite.email, []).append(invite.status)
    assert by_email == {
        "beta1@huntaze.test": ["used"],
        "beta2@huntaze.test": ["revoked"],
        "beta3@huntaze.test": ["expired", "pending"],
    }
    assert "beta1@huntaze.test member (has an account)" in output
    assert "beta2@huntaze.test revoked" in output
    assert "beta3@huntaze.test created" in output and "(1 created now)" in output
    _seed()
    assert BetaInvite.objects.count() == 4  # idempotent from there on


@pytest.mark.django_db
def test_seed_prints_the_accounts_last(dev_settings, monkeypatch):
    monkeypatch.setenv("SEED_PASSWORD", SEED_PASSWORD)
    lines = [line for line in _seed().splitlines() if line.strip()]
    assert lines[-2].split()[:2] == ["ADMIN", ADMIN]
    assert lines[-1].split()[:2] == ["CREATOR", CREATOR]
