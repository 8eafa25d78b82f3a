"""Two users taking the same new email at the same time: one wins, the other gets 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import User
from tests.factories import auth_client, make_user


@pytest.mark.django_db(transaction=True)
def test_concurrent_email_changes_to_one_address_give_one_200_and_one_409():
    users = [make_user(), make_user()]
    barrier = threading.Barrier(len(users))
    statuses: list[int] = []

    def change(user):
        try:
            client = auth_client(user)
            barrier.wait()
            response = client.patch(
                "/api/users/profile", {"email": "wanted@example.test"}, format="json"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    assert User.objects.filter(email="wanted@example.test").count() == 1
