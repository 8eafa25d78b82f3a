"""After the import, a creator finds their profile, content, plan and invites through the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.users import user_role_set
from invites.models import BetaInvite
from tests.conftest import assert_error
from tests.factories import auth_client
from tests.legacy.conftest import conflicts_of, import_legacy, problems_of, signup
from tests.legacy.prisma_db import password

pytestmark = pytest.mark.django_db


def signed_in(email: str, key: str) -> APIClient:
    r = APIClient().post(
        "/api/auth/signin", {"email": email, "password": password(key)}, format="json"
    )
    assert r.status_code == 200, r.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['access']}")
    return client


def test_profile_keeps_name_avatar_plan_role_and_dates(prisma):
    import_legacy(prisma)
    ann = signed_in("ann.creator@example.com", "ann")
    profile = ann.get("/api/users/profile").json()
    assert profile["email"] == "ann.creator@example.com"
    assert profile["name"] == "Ann Creator"
    assert profile["avatar"] == "https://cdn.example.com/a/ann.png"
    assert profile["subscription"] == "PRO"
    assert profile["role"] == "CREATOR"
    assert profile["created_at"] == "2024-01-05T10:00:00.123000Z"
    assert profile["stats"]["content_count"] == 4
    user = User.objects.get(email="ann.creator@example.com")
    assert user.stripe_customer_id == "cus_ann000001"
    assert user.updated_at.isoformat() == "2024-06-01T08:30:00.456000+00:00"
    # allauth knows the address as verified and primary: email login and reset work.
    address = user.emailaddress_set.get()
    assert (address.email, address.verified, address.primary) == (user.email, True, True)
    r = APIClient().post(
        "/api/auth/password/reset", {"email": "Ann.Creator@Example.com"}, format="json"
    )
    assert r.status_code == 202
    from django.core import mail

    from tests.queue import run_jobs

    run_jobs()

    assert [m.to for m in mail.outbox] == [["ann.creator@example.com"]]


def test_a_legacy_admin_is_imported_as_a_creator_and_reported_for_staff(prisma):
    report = import_legacy(prisma)
    admin = User.objects.get(email="admin@example.com")
    assert not admin.is_staff and admin.role == "CREATOR"
    assert_error(
        signed_in("admin@example.com", "admin").get("/api/invites"), 403, "permission_denied"
    )
    (reported,) = conflicts_of(report, "role_change_not_applied")
    assert reported["legacy_id"] == "cladmin00000000000000adm1"
    assert (reported["legacy_role"], reported["role_here"]) == ("ADMIN", "CREATOR")
    # Staff grant it in the admin (user_role_set, its confirmation page): then it is staff.
    user_role_set(user=admin, role="ADMIN")
    assert signed_in("admin@example.com", "admin").get("/api/invites").status_code == 200


def test_content_keeps_every_field_order_and_timestamps(prisma):
    report = import_legacy(prisma)
    ann = signed_in("ann.creator@example.com", "ann")
    results = ann.get("/api/content").json()["results"]
    # Newest first, by the old createdAt.
    assert [a["title"][:20] for a in results] == [
        "T" * 20,
        "Metadata that is a l",
        "A story without tags",
        "First post",
    ]
    by_title = {a["title"]: a for a in results}
    first = by_title["First post"]
    assert first["content"] == "Hello from the old app"
    assert first["type"] == "POST" and first["category"] == "launch"
    assert first["tags"] == ["hello", "first"]
    assert first["metadata"] == {"likes": 3, "draft": False}
    assert first["created_at"] == "2024-01-06T10:00:00.001000Z"
    assert first["updated_at"] == "2024-01-07T11:00:00.002000Z"
    story = by_title["A story without tags or metadata"]
    assert story["tags"] == [] and story["metadata"] == {} and story["category"] is None
    assert story["content"] == ""

    # Past every API bound, carried whole: a 250-character title, 150-character category,
    # 25 tags of 60 characters, 20 KB of metadata.
    big = ann.get(f"/api/content/{results[0]['id']}").json()
    assert big["title"] == "T" * 250 and big["category"] == "c" * 150
    assert len(big["tags"]) == 25 and all(len(t) == 60 for t in big["tags"])
    assert len(big["metadata"]["notes"]) == 20000 and big["metadata"]["nested"] == {"a": [1, 2, 3]}
    # …and the API still bounds what the creator sends.
    assert_error(
        ann.patch(f"/api/content/{big['id']}", {"title": "T" * 201}, format="json"),
        400,
        "validation_error",
    )
    assert (
        ann.patch(f"/api/content/{big['id']}", {"title": "Shorter"}, format="json").status_code
        == 200
    )

    assert by_title["Metadata that is a list"]["metadata"] == [1, 2, 3]
    assert [p["legacy_id"] for p in problems_of(report, "metadata_not_object")] == [
        "clca0000000000000000ann04"
    ]
    # Owner-only, as for any asset.
    assert_error(
        signed_in("bob@example.com", "bob").get(f"/api/content/{results[0]['id']}"),
        404,
        "not_found",
    )


def test_subscription_record_is_carried(prisma):
    import_legacy(prisma)
    ann = signed_in("ann.creator@example.com", "ann")
    assert ann.get("/api/billing/subscription").json() == {
        "plan": "PRO",
        "status": "ACTIVE",
        "current_period_start": "2024-05-15T00:00:00Z",
        "current_period_end": "2024-06-15T00:00:00Z",
        "cancel_at_period_end": True,
    }
    record = User.objects.get(email="ann.creator@example.com").subscription_record
    assert record.stripe_subscription_id == "sub_ann000001"
    assert record.last_event_at.isoformat() == "2024-05-15T00:00:01.500000+00:00"
    # Without a legacy record: FREE/ACTIVE like any user here.
    bob = signed_in("bob@example.com", "bob").get("/api/billing/subscription").json()
    assert (bob["plan"], bob["status"]) == ("FREE", "ACTIVE")


def test_pending_invites_stay_redeemable_with_their_code_and_used_ones_stay_used(prisma):
    report = import_legacy(prisma)
    pending = BetaInvite.objects.get(email="new.creator@example.com")
    assert pending.status == "pending" and pending.code == "A1B2C3D4E5F60718"
    check = APIClient().post(
        "/api/invites/check",
        {"email": "New.Creator@example.com", "code": "a1b2c3d4e5f60718"},
        format="json",
    )
    assert check.json() == {"valid": True}
    r = signup("new.creator@example.com", "a1b2c3d4e5f60718")
    assert r.status_code == 201, r.content
    pending.refresh_from_db()
    assert pending.status == "used"

    # A code longer than ours is kept and works.
    long_code = BetaInvite.objects.get(email="wave2@example.com")
    assert long_code.code == "HUNTAZE-BETA-2024-WAVE-2"
    assert APIClient().post(
        "/api/invites/check",
        {"email": "wave2@example.com", "code": "huntaze-beta-2024-wave-2"},
        format="json",
    ).json() == {"valid": True}

    used = BetaInvite.objects.get(email="bob@example.com")
    assert used.status == "used" and used.used_by == User.objects.get(email="bob@example.com")
    assert used.used_at.isoformat() == "2024-02-10T08:59:00+00:00"
    assert_error(signup("bob@example.com", "USEDCODE00000001"), 403, "invite_required")

    # Staff see them with the right statuses.
    admin = auth_client(
        user_role_set(user=User.objects.get(email="admin@example.com"), role="ADMIN")
    )
    statuses = {
        i["email"]: i["status"] for i in admin.get("/api/invites?page_size=100").json()["results"]
    }
    assert statuses["bob@example.com"] == "used"
    assert statuses["wave2@example.com"] == "pending"
    # An invite for an address that has an account is imported and reported.
    assert statuses["ann.creator@example.com"] == "pending"
    assert [p["legacy_id"] for p in problems_of(report, "invite_for_registered_address")] == [
        "clinv00000000000000regd1"
    ]


def test_api_keys_refresh_tokens_and_sessions_are_reported_not_carried(prisma):
    report = import_legacy(prisma)
    assert report["not_carried"]["api_keys"]["count"] == 1
    assert report["not_carried"]["refresh_tokens"]["count"] == 2
    assert report["not_carried"]["sessions"]["count"] == 1
    assert report["api_keys_not_carried"] == [
        {
            "legacy_id": "clkey00000000000000000key1",
            "user_legacy_id": "clann0000000000000000ann1",
            "owner_email": "ann.creator@example.com",
            "name": "Zapier",
            "created_at": "2024-03-01T00:00:00Z",
            "last_used_at": "2024-05-30T00:00:00Z",
            "expires_at": None,
        }
    ]
    ann = signed_in("ann.creator@example.com", "ann")
    assert ann.get("/api/keys").json()["results"] == []
