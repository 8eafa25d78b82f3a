"""A legacy user is found by legacy id once imported; case variants are held for staff.

Each test runs the real command against a real Prisma-era database changed between runs (as
the old app keeps serving), then checks what the creators see through the API and where the
rows are in SQL.
"""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.selectors import email_is_taken
from billing.models import SubscriptionRecord
from content.models import ContentAsset
from legacy.models import LegacyRecord, LegacyResolution
from tests.conftest import assert_error
from tests.factories import auth_client
from tests.legacy.conftest import (
    conflicts_of,
    google_signin,
    import_legacy,
    import_legacy_text,
    owner_of,
    problems_of,
    signed_in,
    signin,
    titles,
)
from tests.legacy.prisma_db import password

pytestmark = pytest.mark.django_db

OLD = "cldupold00000000000dupo1"  # Dup@Example.com: a video, a Google account, a PRO subscription
NEW = "cldupnew00000000000dupn1"  # dup@example.com: signed in last (a refresh token)
ANN = "clann0000000000000000ann1"
BOB = "clbob0000000000000000bob1"
OLD_GOOGLE = "108999999999999999999"


def resolve(prisma, legacy_id: str) -> str:
    return import_legacy_text(prisma, "--resolve", legacy_id).strip()


def mappings() -> dict[tuple[str, str], str]:
    return {
        (source, legacy_id): object_id
        for source, legacy_id, object_id in LegacyRecord.objects.values_list(
            "source", "legacy_id", "object_id"
        )
    }


# --- case variants on the first run ---------------------------------------------------------


def test_case_variants_are_both_held_back_and_reported_with_what_each_owns(prisma):
    prisma.execute(
        """INSERT INTO beta_invites (id, email, code, "usedAt", "createdAt")
           VALUES ('clinv00000000000000dupi1', 'DUP@example.com', 'DUPINVITE0000001', NULL,
                   '2024-05-05 00:00:00')"""
    )
    report = import_legacy(prisma)

    # Nobody got the address: no account, neither password signs in, nothing of theirs here.
    assert not User.objects.filter(email__iexact="dup@example.com").exists()
    assert not email_is_taken(email="dup@example.com")
    assert_error(signin("dup@example.com", password("dup_new")), 401, "invalid_credentials")
    assert_error(signin("Dup@Example.com", password("dup_old")), 401, "invalid_credentials")
    assert google_signin(OLD_GOOGLE) is None
    assert not SocialAccount.objects.filter(uid=OLD_GOOGLE).exists()
    assert not ContentAsset.objects.filter(title="Older duplicate's video").exists()
    assert not SubscriptionRecord.objects.filter(stripe_subscription_id="sub_dupold0001").exists()
    assert not LegacyRecord.objects.filter(legacy_id__in=[OLD, NEW]).exists()

    held = {c["legacy_id"]: c for c in conflicts_of(report, "case_variant_held")}
    assert set(held) == {OLD, NEW}
    assert all(c["legacy_ids"] == [NEW, OLD] and c["resolved_to"] is None for c in held.values())
    (group,) = report["held_back"]
    assert group["email"] == "dup@example.com" and group["resolved_to"] is None
    members = {m["legacy_id"]: m for m in group["members"]}
    assert members[OLD]["email"] == "Dup@Example.com"
    assert members[OLD]["owns"] == {
        "content_assets": 1,
        "google_accounts": 1,
        "api_keys": 0,
        "subscription": {
            "stripe_subscription_id": "sub_dupold0001",
            "status": "ACTIVE",
            "plan": "PRO",
        },
    }
    assert (
        members[NEW]["owns"]["content_assets"] == 0 and members[NEW]["owns"]["subscription"] is None
    )
    # Activity for staff to judge: the newer one signed in (refresh token) on 2024-09-01.
    assert members[NEW]["last_active_at"] == "2024-09-01T00:00:00Z"
    assert members[OLD]["last_active_at"] == "2024-05-01T00:00:00Z"
    assert all(m["status"] == "held back" for m in members.values())
    # Their rows are held back too, each reported.
    held_rows = {(p["table"], p["legacy_id"]) for p in problems_of(report, "owner_held")}
    assert held_rows == {
        ("accounts", "clacc000000000000000goog2"),
        ("subscription_records", "clsub00000000000000000dup1"),
        ("content_assets", "clca0000000000000000dup01"),
        ("beta_invites", "clinv00000000000000dupi1"),
    }
    text = import_legacy_text(prisma)
    assert "Held back for staff (1 shared addresses):" in text
    assert f"{OLD} 'Dup@Example.com'" in text and "unresolved" in text


def test_staff_resolve_a_held_address_and_only_the_chosen_one_is_imported(prisma):
    import_legacy(prisma)
    line = resolve(prisma, NEW)
    assert line == (
        f"dup@example.com is resolved to legacy user {NEW}: it is imported at the next run; "
        f"{OLD} stay out"
    )
    dry = import_legacy(prisma, "--dry-run")
    assert dry["tables"]["users"]["imported"] == 1
    assert not User.objects.filter(email="dup@example.com").exists()

    report = import_legacy(prisma)
    assert report["tables"]["users"]["imported"] == 1
    chosen = User.objects.get(email="dup@example.com")
    assert signed_in("DUP@example.com", "dup_new").get("/api/users/profile").json()["name"] == (
        "Dup Newer"
    )
    # The other person's password, content, Google sign-in and subscription stay out.
    assert_error(signin("dup@example.com", password("dup_old")), 401, "invalid_credentials")
    assert titles(signed_in("dup@example.com", "dup_new")) == []
    assert google_signin(OLD_GOOGLE) is None
    assert not SubscriptionRecord.objects.filter(user=chosen).exists()
    (group,) = report["held_back"]
    assert group["resolved_to"] == NEW
    statuses = {m["legacy_id"]: m["status"] for m in group["members"]}
    assert statuses[OLD] == "held back" and statuses[NEW].startswith("imported (account ")
    assert [c["legacy_id"] for c in conflicts_of(report, "case_variant_held")] == [OLD]


def test_a_resolution_can_be_changed_or_withdrawn_until_the_chosen_one_is_imported(prisma):
    import_legacy(prisma)
    resolve(prisma, OLD)
    resolve(prisma, NEW)  # staff changed their mind: replaces the first choice
    assert list(LegacyResolution.objects.values_list("email", "legacy_id")) == [
        ("dup@example.com", NEW)
    ]
    out = import_legacy_text(prisma, "--unresolve", NEW)
    assert "held back again" in out and not LegacyResolution.objects.exists()
    assert import_legacy(prisma)["tables"]["users"]["imported"] == 0  # both held again

    resolve(prisma, NEW)
    import_legacy(prisma)
    with pytest.raises(CommandError, match="can no longer be withdrawn"):
        call_command("import_legacy", "--unresolve", NEW)
    with pytest.raises(CommandError, match=f"belongs here to legacy user {NEW}'s account"):
        import_legacy_text(prisma, "--resolve", OLD)
    with pytest.raises(CommandError, match="is not held back"):
        import_legacy_text(prisma, "--resolve", BOB)
    with pytest.raises(CommandError, match="no legacy user clnope"):
        import_legacy_text(prisma, "--resolve", "clnope")
    with pytest.raises(CommandError, match="no resolution names legacy user"):
        call_command("import_legacy", "--unresolve", OLD)


# --- a merge never happens, so it cannot stick ----------------------------------------------


def test_the_other_variant_changes_address_and_gets_its_own_account_with_its_own_data(prisma):
    import_legacy(prisma)
    # In the old app the second user changes address, writes a post and links Google.
    prisma.execute(
        f"""UPDATE users SET email = 'bob@y.example', "updatedAt" = '2024-10-01 00:00:00'
              WHERE id = '{OLD}';
            INSERT INTO content_assets (id, "userId", title, content, type, "updatedAt")
              VALUES ('clca0000000000000000dup02', '{OLD}', 'Bob''s new post', 'b', 'POST',
                      '2024-10-01 00:00:00');
            INSERT INTO accounts (id, "userId", type, provider, "providerAccountId")
              VALUES ('clacc000000000000000goog3', '{OLD}', 'oauth', 'google',
                      '108777777777777777777')"""
    )
    report = import_legacy(prisma)
    bob = User.objects.get(email="bob@y.example")
    dup = User.objects.get(email="dup@example.com")  # its address is not shared any more
    assert bob.pk != dup.pk
    assert titles(signed_in("bob@y.example", "dup_old")) == [
        "Bob's new post",
        "Older duplicate's video",
    ]
    assert titles(signed_in("dup@example.com", "dup_new")) == []
    assert google_signin(OLD_GOOGLE) == bob.pk
    assert google_signin("108777777777777777777") == bob.pk
    assert SubscriptionRecord.objects.get(stripe_subscription_id="sub_dupold0001").user == bob
    assert owner_of("content_assets", "clca0000000000000000dup02") == str(bob.pk)
    assert report["held_back"] == []

    # The next runs keep each one's data where it is.
    prisma.execute(
        f"""INSERT INTO content_assets (id, "userId", title, content, type, "updatedAt")
              VALUES ('clca0000000000000000dup03', '{NEW}', 'Dup''s own post', 'd', 'POST',
                      '2024-10-02 00:00:00')"""
    )
    import_legacy(prisma)
    assert titles(signed_in("dup@example.com", "dup_new")) == ["Dup's own post"]
    assert len(titles(signed_in("bob@y.example", "dup_old"))) == 2


def test_after_a_resolution_the_other_one_still_comes_over_alone_when_its_address_changes(
    prisma,
):
    import_legacy(prisma)
    resolve(prisma, NEW)
    import_legacy(prisma)
    chosen = User.objects.get(email="dup@example.com")
    prisma.execute(
        f"""UPDATE users SET email = 'bob@y.example', "updatedAt" = '2024-10-01 00:00:00'
              WHERE id = '{OLD}'"""
    )
    import_legacy(prisma)
    bob = User.objects.get(email="bob@y.example")
    assert titles(signed_in("bob@y.example", "dup_old")) == ["Older duplicate's video"]
    assert titles(signed_in("dup@example.com", "dup_new")) == []
    assert google_signin(OLD_GOOGLE) == bob.pk
    assert User.objects.get(email="dup@example.com").pk == chosen.pk


# --- identity by legacy id: address changes ---------------------------------------------------


def test_a_late_collision_moves_nothing_between_two_existing_accounts(prisma):
    import_legacy(prisma)
    ann = User.objects.get(email="ann.creator@example.com")
    bob = User.objects.get(email="bob@example.com")
    before = mappings()
    # In the old app Bob takes Ann's address up to case; both write a post.
    prisma.execute(
        f"""UPDATE users SET email = 'ANN.creator@example.com', "updatedAt" = '2024-10-01'
              WHERE id = '{BOB}';
            INSERT INTO content_assets (id, "userId", title, content, type, "updatedAt") VALUES
              ('clca0000000000000000ann09', '{ANN}', 'Ann''s new post', 'a', 'POST', '2024-10-02'),
              ('clca0000000000000000bob09', '{BOB}', 'Bob''s new post', 'b', 'POST', '2024-10-02')"""
    )
    for _ in range(2):  # and the run after stays put
        report = import_legacy(prisma)
        assert "Ann's new post" in titles(signed_in("ann.creator@example.com", "ann"))
        assert titles(signed_in("bob@example.com", "bob")) == ["Bob's new post"]
        assert owner_of("content_assets", "clca0000000000000000ann09") == str(ann.pk)
        assert owner_of("content_assets", "clca0000000000000000bob09") == str(bob.pk)
        assert {k: v for k, v in mappings().items() if k in before} == before
        (change,) = conflicts_of(report, "email_change_not_applied")
        assert change["legacy_id"] == BOB
        assert (change["email"], change["email_here"]) == (
            "ann.creator@example.com",
            "bob@example.com",
        )
        assert ANN in change["reason"]
    assert_error(signin("ann.creator@example.com", password("bob")), 401, "invalid_credentials")


def test_an_address_change_applies_when_the_new_address_is_free(prisma):
    import_legacy(prisma)
    bob = User.objects.get(email="bob@example.com")
    prisma.execute(
        f"""UPDATE users SET email = 'Bob.Two@Example.com', "updatedAt" = '2024-10-01'
              WHERE id = '{BOB}'"""
    )
    report = import_legacy(prisma)
    assert report["tables"]["users"]["updated"] == 1
    assert signed_in("bob.two@example.com", "bob").get("/api/users/profile").json()["id"] == str(
        bob.pk
    )
    assert list(bob.emailaddress_set.values_list("email", "verified")) == [
        ("bob.two@example.com", True)
    ]
    assert not email_is_taken(email="bob@example.com")


def test_an_address_change_to_one_taken_here_or_held_by_another_legacy_user_is_not_applied(
    prisma, make_user
):
    import_legacy(prisma)
    ann = User.objects.get(email="ann.creator@example.com")
    make_user(email="mine@example.com")
    # Ann changed her address here; her old address is still hers in the old app.
    r = auth_client(ann).patch("/api/users/profile", {"email": "ann@new.example"}, format="json")
    assert r.status_code == 200, r.content
    prisma.execute(
        f"""UPDATE users SET email = 'Ann.Creator@example.COM', "updatedAt" = '2024-10-01'
              WHERE id = '{BOB}';
            UPDATE users SET email = 'MINE@example.com', "updatedAt" = '2024-10-01'
              WHERE id = 'cllong000000000000000long'"""
    )
    report = import_legacy(prisma)
    refused = {c["legacy_id"]: c for c in conflicts_of(report, "email_change_not_applied")}
    assert set(refused) == {BOB, "cllong000000000000000long"}
    assert ANN in refused[BOB]["reason"]
    assert "belongs to another account here" in refused["cllong000000000000000long"]["reason"]
    assert User.objects.filter(email="bob@example.com").exists()
    assert User.objects.filter(email="long@example.com").exists()
    assert not User.objects.filter(email="ann.creator@example.com").exists()
