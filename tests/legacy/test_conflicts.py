"""Conflicts never abort the run and never overwrite silently; Google accounts carry over."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from rest_framework.test import APIClient

from accounts.models import User
from content.models import ContentAsset
from tests.accounts.test_allauth import _complete, _sociallogin
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD
from tests.legacy.conftest import conflicts_of, import_legacy, problems_of
from tests.legacy.prisma_db import password

pytestmark = pytest.mark.django_db


def signin(email: str, pw: str):
    return APIClient().post("/api/auth/signin", {"email": email, "password": pw}, format="json")


def test_an_address_registered_here_keeps_its_account_untouched(prisma, make_user):
    mine = make_user(email="taken@example.com", name="Made Here")
    before = User.objects.filter(pk=mine.pk).values().get()
    report = import_legacy(prisma)
    assert User.objects.filter(pk=mine.pk).values().get() == before
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert signin("taken@example.com", DEFAULT_PASSWORD).status_code == 200
    assert_error(signin("taken@example.com", password("taken")), 401, "invalid_credentials")

    (conflict,) = conflicts_of(report, "email_taken")
    assert conflict["legacy_id"] == "cltaken0000000000000tkn1"
    assert conflict["email"] == "taken@example.com"
    # Its rows are reported, not attached to someone else's account, and the run went on.
    assert {p["legacy_id"] for p in problems_of(report, "owner_not_imported")} == {
        "clca0000000000000000tkn01",
        "clsub00000000000000000tkn1",
    }
    assert not ContentAsset.objects.filter(user=mine).exists()
    assert report["tables"]["content_assets"]["imported"] == 5


def test_an_allauth_address_here_counts_as_registered(prisma, make_user):
    other = make_user(email="someone@example.com")
    EmailAddress.objects.create(user=other, email="bob@example.com", verified=True, primary=False)
    report = import_legacy(prisma)
    assert [c["legacy_id"] for c in conflicts_of(report, "email_taken")] == [
        "clbob0000000000000000bob1"
    ]
    assert not User.objects.filter(email="bob@example.com").exists()


def test_a_stripe_customer_already_here_is_not_moved(prisma, make_user):
    holder = make_user(email="payer@example.com", stripe_customer_id="cus_ann000001")
    report = import_legacy(prisma)
    assert User.objects.get(email="ann.creator@example.com").stripe_customer_id is None
    holder.refresh_from_db()
    assert holder.stripe_customer_id == "cus_ann000001"
    assert [c["legacy_id"] for c in conflicts_of(report, "stripe_customer_taken")] == [
        "clann0000000000000000ann1"
    ]


def test_a_google_only_user_signs_in_with_google_to_the_same_account(prisma):
    report = import_legacy(prisma)
    gina = User.objects.get(email="gina@example.com")
    account = SocialAccount.objects.get(provider="google", uid="108234567890123456789")
    assert account.user == gina
    users_before = User.objects.count()

    # allauth's social login, as its Google callback runs it (no invite needed: the account
    # exists). The session it opens is Gina's.
    login = _sociallogin("gina@example.com")
    login.account.uid = "108234567890123456789"
    response = _complete(login)
    assert response.status_code == 302
    assert User.objects.count() == users_before
    assert str(login.user.pk) == str(gina.pk)

    # Providers this product does not offer, and deleted users, keep no sign-in.
    assert not SocialAccount.objects.filter(uid__in=["4242", "108000000000000000001"]).exists()
    assert [p["legacy_id"] for p in problems_of(report, "provider_not_supported")] == [
        "clacc000000000000000gith1"
    ]
    assert [p["legacy_id"] for p in problems_of(report, "no_sign_in_method")] == [
        "clgithub00000000000gith1"
    ]


def test_a_google_identity_linked_here_to_another_account_is_a_conflict(prisma, make_user):
    other = make_user(email="other-google@example.com")
    SocialAccount.objects.create(user=other, provider="google", uid="108234567890123456789")
    report = import_legacy(prisma)
    assert SocialAccount.objects.get(uid="108234567890123456789").user == other
    assert [c["legacy_id"] for c in conflicts_of(report, "social_account_taken")] == [
        "clacc000000000000000goog1"
    ]


def test_an_invite_code_made_here_is_not_overwritten(prisma, make_invite):
    mine = make_invite(email="mine@example.com", code="USEDCODE00000001")
    report = import_legacy(prisma)
    mine.refresh_from_db()
    assert mine.email == "mine@example.com" and mine.used_at is None
    assert [c["legacy_id"] for c in conflicts_of(report, "code_taken")] == [
        "clinv00000000000000used1"
    ]
    assert [c["legacy_id"] for c in conflicts_of(report, "code_duplicate")] == [
        "clinv00000000000000dupc1"
    ]
