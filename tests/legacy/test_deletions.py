"""Deletions in the old app between runs are carried over, unless our row changed since."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from rest_framework.test import APIClient

from accounts.models import User
from billing.models import SubscriptionRecord
from content.models import ContentAsset
from invites.models import BetaInvite
from invites.services import invite_revoke
from tests.conftest import assert_error
from tests.factories import auth_client
from tests.legacy.conftest import (
    conflicts_of,
    google_signin,
    import_legacy,
    signed_in,
    signin,
    signup,
    titles,
)
from tests.legacy.prisma_db import password

pytestmark = pytest.mark.django_db

ANN_POST = "clca0000000000000000ann01"
GINA_GOOGLE = "clacc000000000000000goog1"
GINA_UID = "108234567890123456789"
PENDING = "clinv00000000000000pend1"
BOB = "clbob0000000000000000bob1"
LONG = "cllong000000000000000long"


def invite_valid(email: str, code: str) -> bool:
    r = APIClient().post("/api/invites/check", {"email": email, "code": code}, format="json")
    return r.json()["valid"]


def test_deleted_content_google_accounts_invites_and_users_are_carried_over(prisma):
    import_legacy(prisma)
    bob = User.objects.get(email="bob@example.com")
    long = User.objects.get(email="long@example.com")
    gina = User.objects.get(email="gina@example.com")
    assert "First post" in titles(signed_in("ann.creator@example.com", "ann"))
    assert google_signin(GINA_UID) == gina.pk
    assert invite_valid("new.creator@example.com", "a1b2c3d4e5f60718")

    prisma.execute(
        f"""DELETE FROM content_assets WHERE id = '{ANN_POST}';
            DELETE FROM accounts WHERE id = '{GINA_GOOGLE}';
            DELETE FROM beta_invites WHERE id = '{PENDING}';
            UPDATE users SET email = '1727740800000.deleted@huntaze.com',
                   "deletedAt" = '2024-10-01 00:00:00', "updatedAt" = '2024-10-01 00:00:00'
             WHERE id = '{BOB}';
            DELETE FROM users WHERE id = '{LONG}'"""
    )
    expected = [
        ("accounts", GINA_GOOGLE, "unlinked"),
        ("beta_invites", PENDING, "revoked"),
        ("content_assets", ANN_POST, "deleted"),
        ("users", BOB, "soft_deleted"),
        ("users", LONG, "soft_deleted"),
    ]

    # A dry run shows them and changes nothing.
    dry = import_legacy(prisma, "--dry-run")
    assert sorted((d["table"], d["legacy_id"], d["action"]) for d in dry["deletions"]) == expected
    assert ContentAsset.objects.filter(title="First post").exists()
    assert SocialAccount.objects.filter(uid=GINA_UID).exists()
    assert User.objects.get(pk=bob.pk).deleted_at is None

    report = import_legacy(prisma)
    assert report["deletions"] == dry["deletions"]
    assert (
        sorted((d["table"], d["legacy_id"], d["action"]) for d in report["deletions"]) == expected
    )
    counts = report["tables"]
    assert counts["content_assets"]["deleted"] == counts["accounts"]["deleted"] == 1
    assert counts["beta_invites"]["deleted"] == 1
    assert (counts["users"]["deleted"], counts["users"]["updated"]) == (1, 1)  # Long; Bob
    assert conflicts_of(report, "deletion_not_applied") == []

    # The post is gone, Gina's Google sign-in opens nothing, the invite is revoked.
    assert "First post" not in titles(signed_in("ann.creator@example.com", "ann"))
    assert not ContentAsset.objects.filter(title="First post").exists()
    assert google_signin(GINA_UID) is None
    assert not invite_valid("new.creator@example.com", "a1b2c3d4e5f60718")
    assert BetaInvite.objects.get(email="new.creator@example.com").status == "revoked"
    assert_error(signup("new.creator@example.com", "a1b2c3d4e5f60718"), 403, "invite_required")
    # Bob and Long are soft-deleted under this product's rule and cannot sign in.
    for user, key, email in ((bob, "bob", "bob@example.com"), (long, "long", "long@example.com")):
        user.refresh_from_db()
        assert user.deleted_at is not None and not user.is_active
        assert user.email == f"deleted+{user.pk.hex}@deleted.invalid"
        assert_error(signin(email, password(key)), 401, "invalid_credentials")
    assert bob.deleted_at.isoformat() == "2024-10-01T00:00:00+00:00"

    # The next run has nothing left to do.
    again = import_legacy(prisma)
    assert again["deletions"] == [] and again["nothing_to_do"] is True
    assert conflicts_of(again, "deletion_not_applied") == []


def test_a_row_changed_here_since_the_last_run_is_kept_and_reported(prisma):
    import_legacy(prisma)
    ann = User.objects.get(email="ann.creator@example.com")
    gina = User.objects.get(email="gina@example.com")
    story = ContentAsset.objects.get(title="A story without tags or metadata")
    r = auth_client(ann).patch(f"/api/content/{story.pk}", {"title": "Edited here"}, format="json")
    assert r.status_code == 200, r.content
    r = auth_client(gina).patch("/api/users/profile", {"name": "G"}, format="json")
    assert r.status_code == 200, r.content
    prisma.execute(
        """DELETE FROM content_assets WHERE id = 'clca0000000000000000ann02';
           UPDATE users SET email = '1727740800000.deleted@huntaze.com',
                  "deletedAt" = '2024-10-01', "updatedAt" = '2024-10-01'
            WHERE id = 'clgina000000000000000gin1'"""
    )
    for _ in range(2):  # kept, and reported at every run
        report = import_legacy(prisma)
        kept = {(c["table"], c["legacy_id"]) for c in conflicts_of(report, "deletion_not_applied")}
        assert kept == {
            ("content_assets", "clca0000000000000000ann02"),
            ("users", "clgina000000000000000gin1"),
        }
        assert report["deletions"] == []
        assert "Edited here" in titles(signed_in("ann.creator@example.com", "ann"))
        assert google_signin(GINA_UID) == gina.pk
        assert User.objects.get(pk=gina.pk).deleted_at is None


def test_used_and_revoked_invites_and_subscriptions_are_settled_once(prisma):
    import_legacy(prisma)
    invite_revoke(invite=BetaInvite.objects.get(email="wave2@example.com"))
    prisma.execute(
        """DELETE FROM beta_invites WHERE id IN ('clinv00000000000000long1',
                                                 'clinv00000000000000used1');
           DELETE FROM subscription_records WHERE id = 'clsub00000000000000000ann1'"""
    )
    report = import_legacy(prisma)
    kept = {c["legacy_id"]: c["reason"] for c in conflicts_of(report, "deletion_not_applied")}
    assert set(kept) == {"clinv00000000000000used1", "clsub00000000000000000ann1"}
    assert "record of that sign-up" in kept["clinv00000000000000used1"]
    assert "Stripe" in kept["clsub00000000000000000ann1"]
    assert report["deletions"] == []
    assert BetaInvite.objects.get(email="bob@example.com").status == "used"
    assert SubscriptionRecord.objects.filter(stripe_subscription_id="sub_ann000001").exists()
    again = import_legacy(prisma)
    assert conflicts_of(again, "deletion_not_applied") == [] and again["nothing_to_do"]
