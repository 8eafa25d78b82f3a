"""Twenty concurrent sign-ups with one invite code create exactly one user."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from invites.models import BetaInvite
from tests.factories import make_invite

PASSWORD = "Tr1cky-Passphrase-42"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_signups_with_one_code_create_one_user():
    invite = make_invite(email="race@example.test")
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            # The same address in varied case: all are the invited email once normalised.
            email = "race@example.test" if i % 2 else "RACE@Example.Test"
            client = APIClient(REMOTE_ADDR=f"10.0.0.{i + 1}")  # separate sign-up IP buckets
            barrier.wait()
            r = client.post(
                "/api/auth/signup",
                {"email": email, "password": PASSWORD, "name": "R", "invite_code": invite.code},
                format="json",
            )
            with lock:
                statuses.append(r.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 403, 409}, statuses
    assert User.objects.count() == 1
    invite.refresh_from_db()
    assert invite.used_by_id == User.objects.get().pk
    assert BetaInvite.objects.filter(used_at__isnull=False).count() == 1
