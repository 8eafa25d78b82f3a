"""Imported creators sign in with their old passwords, through the API, as creators would."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import assert_error
from tests.legacy.conftest import import_legacy, problems_of
from tests.legacy.prisma_db import password

pytestmark = pytest.mark.django_db


def signin(email: str, pw: str):
    return APIClient().post("/api/auth/signin", {"email": email, "password": pw}, format="json")


@pytest.mark.parametrize(
    ("email", "key", "prefix"),
    [
        ("Ann.Creator@Example.com", "ann", "$2a$"),  # bcryptjs 2.x
        ("bob@example.com", "bob", "$2b$"),  # bcryptjs 3.x
    ],
)
def test_old_password_signs_in_and_the_session_works(prisma, email, key, prefix):
    import_legacy(prisma)
    user = User.objects.get(email=email.lower())
    assert user.password.startswith("bcrypt$" + prefix)

    r = signin(email.upper(), password(key))  # any case, as before
    assert r.status_code == 200, r.content
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['access']}")
    assert me.get("/api/auth/me").json()["email"] == email.lower()
    assert_error(signin(email, password(key) + "!"), 401, "invalid_credentials")


def test_first_signin_upgrades_the_hash_to_argon2_and_a_reimport_never_downgrades_it(
    prisma, settings
):
    settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS
    import_legacy(prisma)
    assert signin("ann.creator@example.com", password("ann")).status_code == 200
    upgraded = User.objects.get(email="ann.creator@example.com").password
    assert upgraded.startswith("argon2$")

    # The same password works against the upgraded hash; the old hash is gone.
    assert signin("ann.creator@example.com", password("ann")).status_code == 200
    assert "$2a$" not in upgraded

    # The delta sync after the old app changed the user keeps the Argon2 hash.
    prisma.execute(
        """UPDATE users SET name = 'Ann Renamed', "updatedAt" = '2024-07-01 00:00:00'
           WHERE id = 'clann0000000000000000ann1'"""
    )
    report = import_legacy(prisma)
    assert report["tables"]["users"]["updated"] == 1
    user = User.objects.get(email="ann.creator@example.com")
    assert user.name == "Ann Renamed"
    assert user.password == upgraded
    assert signin("ann.creator@example.com", password("ann")).status_code == 200


def test_a_password_changed_in_the_old_app_is_carried_while_not_yet_upgraded(prisma):
    import_legacy(prisma)
    ann_hash = prisma.execute(
        "SELECT \"passwordHash\" FROM users WHERE id = 'clann0000000000000000ann1'"
    )
    prisma.execute(
        """UPDATE users SET "passwordHash" = %s, "updatedAt" = '2024-07-01 00:00:00'
           WHERE id = 'clbob0000000000000000bob1'""",
        [ann_hash[0][0]],
    )
    import_legacy(prisma)
    assert signin("bob@example.com", password("ann")).status_code == 200
    assert_error(signin("bob@example.com", password("bob")), 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("email", "key"), [("long@example.com", "long"), ("longb@example.com", "long_b")]
)
def test_passwords_over_72_bytes_sign_in(prisma, settings, email, key):
    settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS
    import_legacy(prisma)
    pw = password(key)
    assert len(pw.encode()) > 72
    assert signin(email, pw).status_code == 200
    # Upgraded: Argon2 now holds the whole password, which keeps working.
    assert User.objects.get(email=email).password.startswith("argon2$")
    assert signin(email, pw).status_code == 200
    assert_error(signin(email, "short-and-wrong"), 401, "invalid_credentials")


def test_deleted_google_only_and_unknown_hash_users_cannot_sign_in_with_a_password(prisma):
    report = import_legacy(prisma)
    # Soft-deleted in the old app: deleted here, under a placeholder derived from the new id.
    deleted = User.objects.get(deleted_at__isnull=False)
    assert deleted.email == f"deleted+{deleted.pk.hex}@deleted.invalid"
    assert not deleted.is_active and not deleted.has_usable_password()
    assert_error(
        signin("1717171717171.deleted@huntaze.com", password("deleted")), 401, "invalid_credentials"
    )
    assert_error(signin(deleted.email, password("deleted")), 401, "invalid_credentials")

    gina = User.objects.get(email="gina@example.com")
    assert not gina.has_usable_password()
    assert_error(signin("gina@example.com", ""), 400, "validation_error")
    assert_error(signin("gina@example.com", "anything-at-all"), 401, "invalid_credentials")

    assert [p["legacy_id"] for p in problems_of(report, "unknown_password_hash")] == [
        "clweird0000000000000wrd1"
    ]
    assert not User.objects.get(email="weird@example.com").has_usable_password()
    assert_error(signin("weird@example.com", "sha1$0123456789abcdef"), 401, "invalid_credentials")


def test_no_hash_reaches_the_report_or_the_output(prisma):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_legacy", "--source", prisma.url, stdout=out)
    text = out.getvalue() + str(import_legacy(prisma))
    for fragment in ("$2a$", "$2b$", "bcrypt$", "sha1$", "sha256-of-the-old-key", "hash-of-token"):
        assert fragment not in text
