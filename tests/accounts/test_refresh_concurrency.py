"""Ten concurrent refreshes of one token: exactly one wins."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import RefreshToken
from tests.concurrency import run_concurrently
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

    def refresh(client: APIClient):
        r = client.post("/api/auth/refresh", {"refresh": token}, format="json")
        return r.status_code, r.json()

    results = run_concurrently(refresh, args=[(APIClient(),) for _ in range(10)])

    statuses = sorted(s for s, _ in results)
    assert statuses == [200] + [401] * 9, statuses
    assert all(b["error"]["code"] == "token_invalid" for s, b in results if s == 401)
    # One child was issued; the losers were replays, so the family ends revoked (strict
    # reuse detection: a client racing itself loses the session).
    assert RefreshToken.objects.count() == 2
    assert RefreshToken.objects.filter(used_at__isnull=False).count() == 1
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
