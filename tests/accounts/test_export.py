"""GET /api/users/profile/export (docs/api.md, Users): all of the user's data, nobody else's, no secret."""

from __future__ import annotations

import json

import pytest

from accounts.models import Plan
from accounts.services.keys import api_key_revoke
from billing.models import SubscriptionRecord
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/users/profile/export"


def test_export_has_the_users_data_and_nobody_elses(
    user, client_for_user, make_user, make_asset, make_api_key
):
    other = make_user(email="other@example.test")
    mine = [make_asset(user=user, tags=["a"], metadata={"k": 1}) for _ in range(3)]
    theirs = make_asset(user=other, title="SECRET-OTHER-TITLE")
    SubscriptionRecord.objects.create(user=user, plan=Plan.PRO)
    SubscriptionRecord.objects.create(user=other, plan=Plan.ENTERPRISE)
    key, raw = make_api_key(user=user, name="mine")
    revoked, _ = make_api_key(user=user, name="old")
    api_key_revoke(key=revoked)
    other_key, other_raw = make_api_key(user=other, name="OTHER-KEY")

    response = client_for_user.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"exported_at", "user", "subscription", "content", "api_keys"}
    assert body["user"]["id"] == str(user.pk) and body["user"]["email"] == user.email
    assert body["subscription"]["plan"] == "PRO"
    assert sorted(a["id"] for a in body["content"]) == sorted(str(a.pk) for a in mine)
    assert body["content"][0]["tags"] == ["a"] and body["content"][0]["metadata"] == {"k": 1}
    assert {k["name"] for k in body["api_keys"]} == {"mine", "old"}
    by_name = {k["name"]: k for k in body["api_keys"]}
    assert by_name["old"]["revoked_at"] is not None and by_name["mine"]["revoked_at"] is None

    text = response.content.decode()
    for forbidden in (
        raw,
        key.key_hash,
        revoked.key_hash,
        other_raw,
        other_key.key_hash,
        str(other.pk),
        other.email,
        str(theirs.pk),
        "SECRET-OTHER-TITLE",
        "OTHER-KEY",
        "ENTERPRISE",
        user.password,
        "key_hash",
        "password",
        "stripe_customer_id",
        "deleted_email",
    ):
        assert forbidden not in text, forbidden
    assert json.loads(text) == body


def test_export_of_a_user_without_anything(client_for_user):
    body = client_for_user.get(URL).json()
    assert body["content"] == [] and body["api_keys"] == []
    assert body["subscription"]["plan"] == "FREE" and body["subscription"]["status"] == "ACTIVE"


def test_export_needs_authentication(api_client):
    assert_error(api_client.get(URL), 401, "not_authenticated")


def test_export_refuses_api_keys(user, make_api_key):
    from tests.factories import api_key_client

    _key, raw = make_api_key(user=user, permissions=["profile:read", "content:read"])
    assert_error(api_key_client(raw).get(URL), 403, "permission_denied")
