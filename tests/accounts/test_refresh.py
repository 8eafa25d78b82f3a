"""POST /api/auth/refresh and /api/auth/signout: rotation, reuse detection (docs/api.md, Auth)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import RefreshToken
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def signin(client, email="sam@example.test"):
    r = client.post(
        "/api/auth/signin", {"email": email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert r.status_code == 200, r.content
    return r.json()


def refresh(client, token):
    return client.post("/api/auth/refresh", {"refresh": token}, format="json")


def row(token):
    return RefreshToken.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())


@pytest.fixture
def sam(make_user):
    return make_user(email="sam@example.test")


def test_refresh_rotates_and_spends_the_old_token(api_client, sam):
    first = signin(api_client)
    r = refresh(api_client, first["refresh"])
    assert r.status_code == 200, r.content
    data = r.json()
    assert set(data) == {"access", "refresh"}
    assert data["refresh"] != first["refresh"]
    assert r["Cache-Control"] == "no-store"
    old, new = row(first["refresh"]), row(data["refresh"])
    assert old.used_at is not None and old.revoked_at is None
    assert new.family == old.family and new.used_at is None
    # Absolute family lifetime: the child keeps the sign-in's expiry.
    assert new.expires_at == old.expires_at
    assert timedelta(days=29, hours=23) < old.expires_at - old.created_at <= timedelta(days=30)
    me = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert me.status_code == 200
    # The new token rotates in turn.
    assert refresh(api_client, data["refresh"]).status_code == 200


def test_refresh_token_is_stored_hashed_only(api_client, sam):
    token = signin(api_client)["refresh"]
    assert len(token) >= 43  # 256 bits, urlsafe base64
    stored = RefreshToken.objects.get(user=sam)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(RefreshToken.objects.values()))


def test_reuse_of_a_rotated_token_revokes_the_family(api_client, sam):
    first = signin(api_client)
    other_session = signin(api_client)  # another sign-in: another family
    second = refresh(api_client, first["refresh"]).json()
    third = refresh(api_client, second["refresh"]).json()

    assert_error(refresh(api_client, first["refresh"]), 401, "token_invalid")

    family = row(first["refresh"]).family
    assert not RefreshToken.objects.filter(family=family, revoked_at__isnull=True).exists()
    assert_error(refresh(api_client, third["refresh"]), 401, "token_invalid")
    # The other sign-in is untouched.
    assert refresh(api_client, other_session["refresh"]).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["", "nope", "x" * 257, "x" * 10_000, 12345, True, None, ["a"], {"refresh": "a"}],
    ids=["empty", "short", "over-256", "10k", "number", "bool", "null", "list", "object"],
)
def test_every_unusable_refresh_token_is_401_token_invalid(api_client, token):
    """Whatever its type or length, a token we cannot use tells the front end to sign in
    again (401), never a 400 it would not know how to handle."""
    r = api_client.post("/api/auth/refresh", {"refresh": token}, format="json")
    assert_error(r, 401, "token_invalid")


def test_an_access_token_sent_as_refresh_token_is_401(api_client, sam):
    tokens = signin(api_client)
    assert len(tokens["access"]) > 256  # the case that used to be a 400
    assert_error(refresh(api_client, tokens["access"]), 401, "token_invalid")
    # The session it came from is untouched.
    assert refresh(api_client, tokens["refresh"]).status_code == 200


def test_refresh_without_token_is_401(api_client):
    assert_error(api_client.post("/api/auth/refresh", {}, format="json"), 401, "token_invalid")


def test_refresh_expired_token_is_401(api_client, sam):
    token = signin(api_client)["refresh"]
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(refresh(api_client, token), 401, "token_invalid")


def test_refresh_of_deleted_or_inactive_user_is_401(api_client, make_user):
    for email, change in (
        ("gone@example.test", {"deleted_at": timezone.now()}),
        ("off@example.test", {"is_active": False}),
    ):
        user = make_user(email=email)
        token = signin(api_client, email)["refresh"]
        type(user).objects.filter(pk=user.pk).update(**change)
        assert_error(refresh(api_client, token), 401, "token_invalid")


def test_signout_revokes_the_family_and_clears_cookies(api_client, sam):
    first = signin(api_client)
    second = refresh(api_client, first["refresh"]).json()
    r = api_client.post("/api/auth/signout", {"refresh": second["refresh"]}, format="json")
    assert r.status_code == 204
    assert r.cookies["access_token"].value == "" and r.cookies["access_token"]["max-age"] == 0
    assert r.cookies["refresh_token"].value == ""
    assert r.cookies["refresh_token"]["path"] == "/api/auth"
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    assert_error(refresh(api_client, second["refresh"]), 401, "token_invalid")


def test_signout_is_idempotent(api_client, sam):
    token = signin(api_client)["refresh"]
    for _ in range(2):
        assert (
            api_client.post("/api/auth/signout", {"refresh": token}, format="json").status_code
            == 204
        )
    assert api_client.post("/api/auth/signout", {}, format="json").status_code == 204
    assert (
        api_client.post("/api/auth/signout", {"refresh": "unknown"}, format="json").status_code
        == 204
    )
