"""Ten concurrent refreshes of one token: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import RefreshToken
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_refreshes_of_one_token_give_exactly_one_200():
    make_user(email="race@example.test")
    token = (
        APIClient()
        .post(
            "/api/auth/signin",
            {"email": "race@example.test", "password": DEFAULT_PASSWORD},
            format="json",
        )
        .json()["refresh"]
    )
    barrier = threading.Barrier(10)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            client = APIClient()
            barrier.wait()
            r = client.post("/api/auth/refresh", {"refresh": token}, format="json")
            with lock:
                results.append((r.status_code, r.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(s for s, _ in results)
    assert statuses == [200] + [401] * 9, statuses
    assert all(b["error"]["code"] == "token_invalid" for s, b in results if s == 401)
    # One child was issued; the losers were replays, so the family ends revoked (strict
    # reuse detection: a client racing itself loses the session).
    assert RefreshToken.objects.count() == 2
    assert RefreshToken.objects.filter(used_at__isnull=False).count() == 1
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
