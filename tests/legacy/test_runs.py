"""Dry run, idempotence and the delta sync of a second run."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from content.models import ContentAsset
from invites.models import BetaInvite
from legacy.models import LegacyRecord
from tests.factories import make_api_key
from tests.legacy.conftest import conflicts_of, import_legacy, problems_of

pytestmark = pytest.mark.django_db

ZERO = {"imported": 0, "updated": 0}


def snapshot() -> dict[str, list]:
    """Every row of every table of ours (ordered), to compare two states of the database."""
    state = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if table == "huntaze_cache":
                continue
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
            state[table] = cursor.fetchall()
    return state


def test_dry_run_reports_everything_and_writes_nothing(prisma):
    before = snapshot()
    dry = import_legacy(prisma, "--dry-run")
    assert snapshot() == before
    assert dry["dry_run"] is True
    real = import_legacy(prisma)
    # The dry run announced what the real run then did.
    assert dry["tables"] == real["tables"]
    assert dry["conflicts"] == real["conflicts"]
    assert dry["problems"] == real["problems"]
    assert real["tables"]["users"] == {
        "read": 12,
        "imported": 10,
        "updated": 0,
        "unchanged": 0,
        "skipped": 2,
        "deleted": 0,
    }
    # The two case variants of dup@example.com are held back, with the older one's video.
    assert real["tables"]["content_assets"]["imported"] == 6


def test_a_second_run_changes_nothing(prisma):
    first = import_legacy(prisma)
    state = snapshot()
    second = import_legacy(prisma)
    assert snapshot() == state
    for table, counts in second["tables"].items():
        assert counts["imported"] == counts["updated"] == 0, table
        assert (
            counts["unchanged"]
            == first["tables"][table]["imported"] + first["tables"][table]["updated"]
        ), table
    assert LegacyRecord.objects.filter(source="content_assets").count() == 6
    assert second["nothing_to_do"] is True and first["nothing_to_do"] is False


def test_the_delta_sync_adds_new_rows_and_updates_changed_ones(prisma):
    import_legacy(prisma)
    asset = ContentAsset.objects.get(title="First post")
    prisma.execute(
        """UPDATE content_assets SET title = 'First post (edited)', tags = NULL,
             "updatedAt" = '2024-08-01 00:00:00' WHERE id = 'clca0000000000000000ann01';
           INSERT INTO users (id, email, name, "passwordHash", "updatedAt")
             VALUES ('clnew0000000000000000new1', 'Late@Example.com', 'Late', '', '2024-08-02 00:00:00');
           INSERT INTO content_assets (id, "userId", title, content, type, "updatedAt")
             VALUES ('clca0000000000000000new01', 'clnew0000000000000000new1', 'Late post', '', 'POST', '2024-08-02 00:00:00');
           UPDATE beta_invites SET "usedAt" = '2024-08-03 00:00:00' WHERE id = 'clinv00000000000000long1';"""
    )
    report = import_legacy(prisma)
    assert report["tables"]["content_assets"] == {
        "read": 8,
        "imported": 1,
        "updated": 1,
        "unchanged": 5,
        "skipped": 1,
        "deleted": 0,
    }
    assert report["tables"]["users"]["imported"] == 1
    assert report["tables"]["beta_invites"]["updated"] == 1
    asset.refresh_from_db()
    assert asset.title == "First post (edited)" and asset.tags == []
    assert asset.updated_at.isoformat() == "2024-08-01T00:00:00+00:00"
    late = User.objects.get(email="late@example.com")
    assert ContentAsset.objects.get(title="Late post").user == late
    assert BetaInvite.objects.get(email="wave2@example.com").status == "used"


def test_a_row_changed_on_both_sides_keeps_this_products_version(prisma):
    import_legacy(prisma)
    bob = User.objects.get(email="bob@example.com")
    r = APIClient()
    from tests.factories import auth_client

    r = auth_client(bob).patch("/api/users/profile", {"name": "Bob (new app)"}, format="json")
    assert r.status_code == 200
    prisma.execute(
        """UPDATE users SET name = 'Bob (old app)', "updatedAt" = '2024-08-01 00:00:00'
           WHERE id = 'clbob0000000000000000bob1'"""
    )
    report = import_legacy(prisma)
    bob.refresh_from_db()
    assert bob.name == "Bob (new app)"
    assert [c["legacy_id"] for c in conflicts_of(report, "changed_on_both_sides")] == [
        "clbob0000000000000000bob1"
    ]
    assert report["tables"]["users"]["updated"] == 0


def test_what_was_deleted_here_is_not_recreated(prisma):
    import_legacy(prisma)
    asset = ContentAsset.objects.get(title="First post")
    from tests.factories import auth_client

    assert auth_client(asset.user).delete(f"/api/content/{asset.pk}").status_code == 204
    report = import_legacy(prisma)
    assert not ContentAsset.objects.filter(title="First post").exists()
    assert [p["legacy_id"] for p in problems_of(report, "deleted_here")] == [
        "clca0000000000000000ann01"
    ]


def test_a_user_deleted_in_the_old_app_after_the_import_is_soft_deleted_here(prisma):
    import_legacy(prisma)
    ann = User.objects.get(email="ann.creator@example.com")
    key, _raw = make_api_key(user=ann)
    prisma.execute(
        """UPDATE users SET email = '1722470400000.deleted@huntaze.com',
             "deletedAt" = '2024-08-01 00:00:00', "updatedAt" = '2024-08-01 00:00:00'
           WHERE id = 'clann0000000000000000ann1'"""
    )
    report = import_legacy(prisma)
    assert report["tables"]["users"]["updated"] == 1
    ann.refresh_from_db()
    assert ann.deleted_at.isoformat() == "2024-08-01T00:00:00+00:00"
    assert ann.email == f"deleted+{ann.pk.hex}@deleted.invalid" and not ann.is_active
    assert not EmailAddress.objects.filter(user=ann).exists()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    r = APIClient().post(
        "/api/auth/signin",
        {"email": "ann.creator@example.com", "password": "x" * 10},
        format="json",
    )
    assert r.status_code == 401
    # …and a third run leaves it alone.
    assert import_legacy(prisma)["tables"]["users"]["updated"] == 0


def test_a_row_the_database_refuses_is_reported_and_the_rest_of_its_batch_lands(prisma):
    prisma.execute(
        """UPDATE subscription_records SET "stripeSubscriptionId" = repeat('s', 300)
           WHERE id = 'clsub00000000000000000adm1';
           UPDATE users SET email = repeat('a', 250) || '@example.com' WHERE id = 'clweird0000000000000wrd1';"""
    )
    report = import_legacy(prisma, "--batch-size", "100")
    (refused,) = problems_of(report, "cannot_store")
    assert refused["legacy_id"] == "clsub00000000000000000adm1"
    assert "value too long" in refused["reason"]
    assert report["tables"]["subscription_records"]["imported"] == 2  # ann, taken
    assert [p["legacy_id"] for p in problems_of(report, "invalid_email")] == [
        "clweird0000000000000wrd1"
    ]


def test_google_accounts_are_linked_once(prisma):
    import_legacy(prisma)
    import_legacy(prisma)
    assert SocialAccount.objects.filter(provider="google").count() == 1
