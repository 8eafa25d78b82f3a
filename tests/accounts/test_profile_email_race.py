"""Two users taking the same new email at the same time: one wins, the other gets 409."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.concurrency import run_concurrently
from tests.factories import auth_client, make_user


@pytest.mark.django_db(transaction=True)
def test_concurrent_email_changes_to_one_address_give_one_200_and_one_409():
    users = [make_user(), make_user()]

    def change(client):
        return client.patch("/api/users/profile", {"email": "wanted@example.test"}, format="json")

    responses = run_concurrently(change, args=[(auth_client(u),) for u in users])
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [200, 409]
    assert User.objects.filter(email="wanted@example.test").count() == 1
