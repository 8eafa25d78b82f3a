"""Twenty concurrent sign-ups with one invite code create exactly one user."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from invites.models import BetaInvite
from tests.concurrency import run_concurrently
from tests.factories import make_invite

PASSWORD = "Tr1cky-Passphrase-42"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_signups_with_one_code_create_one_user():
    invite = make_invite(email="race@example.test")

    def signup(client: APIClient, email: str) -> int:
        body = {"email": email, "password": PASSWORD, "name": "R", "invite_code": invite.code}
        return client.post("/api/auth/signup", body, format="json").status_code

    statuses = run_concurrently(
        signup,
        args=[
            (
                APIClient(REMOTE_ADDR=f"10.0.0.{i + 1}"),  # separate sign-up IP buckets
                # The same address in varied case: all are the invited email once normalised.
                "race@example.test" if i % 2 else "RACE@Example.Test",
            )
            for i in range(20)
        ],
    )

    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 403, 409}, statuses
    assert User.objects.count() == 1
    invite.refresh_from_db()
    assert invite.used_by_id == User.objects.get().pk
    assert BetaInvite.objects.filter(used_at__isnull=False).count() == 1
