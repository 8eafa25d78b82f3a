"""A run never grants (or removes) staff rights: role changes are reported for staff."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.services.users import user_role_set
from tests.conftest import assert_error
from tests.legacy.conftest import conflicts_of, import_legacy, signed_in

pytestmark = pytest.mark.django_db


def test_a_promotion_to_admin_in_the_old_app_is_reported_not_applied(prisma):
    import_legacy(prisma)
    prisma.execute(
        """UPDATE users SET role = 'ADMIN', name = 'Bob the admin', "updatedAt" = '2024-10-01'
           WHERE id = 'clbob0000000000000000bob1'"""
    )
    report = import_legacy(prisma)
    bob = User.objects.get(email="bob@example.com")
    assert bob.name == "Bob the admin"  # the rest of the change is carried
    assert bob.role == "CREATOR" and not bob.is_staff and not bob.is_superuser
    assert_error(signed_in("bob@example.com", "bob").get("/api/invites"), 403, "permission_denied")
    (change,) = [
        c
        for c in conflicts_of(report, "role_change_not_applied")
        if c["legacy_id"].startswith("clbob")
    ]
    assert (change["legacy_role"], change["role_here"]) == ("ADMIN", "CREATOR")
    assert "grant them in the admin" in change["reason"]
    assert conflicts_of(import_legacy(prisma), "role_change_not_applied") == []  # said once


def test_a_demotion_in_the_old_app_is_reported_and_staff_keep_their_say(prisma):
    import_legacy(prisma)
    admin = user_role_set(user=User.objects.get(email="admin@example.com"), role="ADMIN")
    prisma.execute(
        """UPDATE users SET role = 'CREATOR', "updatedAt" = '2024-10-01'
           WHERE id = 'cladmin00000000000000adm1'"""
    )
    report = import_legacy(prisma)
    admin.refresh_from_db()
    assert admin.role == "ADMIN"
    assert signed_in("admin@example.com", "admin").get("/api/invites").status_code == 200
    (change,) = conflicts_of(report, "role_change_not_applied")
    assert change["legacy_id"] == "cladmin00000000000000adm1"
    assert (change["legacy_role"], change["role_here"]) == ("CREATOR", "ADMIN")
    assert "remove the staff role in the admin" in change["reason"]
