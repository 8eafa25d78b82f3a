"""POST /api/auth/signin and GET /api/auth/me (docs/api.md, Auth)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import RefreshToken
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD

URL = "/api/auth/signin"

pytestmark = pytest.mark.django_db


def test_signin_returns_user_tokens_and_cookies(api_client, make_user):
    user = make_user(email="sam@example.test")
    r = api_client.post(
        URL, {"email": "Sam@Example.test", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert set(data) == {"user", "access", "refresh"}
    assert data["user"]["id"] == str(user.pk)
    assert r["Cache-Control"] == "no-store"
    assert r.cookies["access_token"].value == data["access"]
    assert r.cookies["refresh_token"].value == data["refresh"]
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    me = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert me.status_code == 200 and me.json()["email"] == "sam@example.test"
    assert me["Cache-Control"] == "no-store"


def _failure(api_client, email, password):
    r = api_client.post(URL, {"email": email, "password": password}, format="json")
    assert_error(r, 401, "invalid_credentials")
    return r.content


def test_signin_failures_share_one_body(api_client, make_user):
    make_user(email="known@example.test")
    deleted = make_user(email="gone@example.test")
    deleted.deleted_at = timezone.now()
    deleted.save()
    inactive = make_user(email="inactive@example.test", is_active=False)
    bodies = {
        _failure(api_client, "unknown@example.test", DEFAULT_PASSWORD),
        _failure(api_client, "known@example.test", "wrong-password-1"),
        _failure(api_client, "gone@example.test", DEFAULT_PASSWORD),
        _failure(api_client, inactive.email, DEFAULT_PASSWORD),
    }
    assert len(bodies) == 1
    assert not RefreshToken.objects.exists()


def test_signin_missing_fields_is_400(api_client):
    err = assert_error(api_client.post(URL, {}, format="json"), 400, "validation_error")
    assert set(err["fields"]) == {"email", "password"}


def test_signin_not_json_is_415(api_client):
    r = api_client.post(URL, "email=a", content_type="application/x-www-form-urlencoded")
    assert_error(r, 415, "unsupported_media_type")


def test_signin_ignores_a_stale_bearer(api_client, make_user):
    make_user(email="sam@example.test")
    r = api_client.post(
        URL,
        {"email": "sam@example.test", "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_AUTHORIZATION="Bearer not-a-jwt",
    )
    assert r.status_code == 200


def test_me_without_credentials_is_401(api_client):
    assert_error(api_client.get("/api/auth/me"), 401, "not_authenticated")


def test_me_with_garbage_token_is_401(api_client):
    r = api_client.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer abc.def.ghi")
    assert_error(r, 401, "token_invalid")


def test_refresh_token_is_not_an_access_token(api_client, make_user):
    make_user(email="sam@example.test")
    data = api_client.post(
        URL, {"email": "sam@example.test", "password": DEFAULT_PASSWORD}, format="json"
    ).json()
    r = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {data['refresh']}")
    assert_error(r, 401, "token_invalid")


def test_access_token_of_deleted_user_is_refused(api_client, make_user):
    user = make_user(email="sam@example.test")
    data = api_client.post(
        URL, {"email": "sam@example.test", "password": DEFAULT_PASSWORD}, format="json"
    ).json()
    user.deleted_at = timezone.now()
    user.save()
    r = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert_error(r, 401, "token_invalid")


def test_alg_none_and_other_key_are_refused(api_client, make_user):
    import jwt

    user = make_user()
    now = int(timezone.now().timestamp())
    claims = {"sub": str(user.pk), "jti": "x", "iat": now, "exp": now + 600, "type": "access"}
    for token in (
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, "another-key-another-key-another-key!", algorithm="HS256"),
        jwt.encode({**claims, "type": "refresh"}, "x" * 40, algorithm="HS256"),
    ):
        r = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert_error(r, 401, "token_invalid")


def test_signin_with_production_hashers_stores_argon2(api_client, make_invite, settings):
    settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS
    invite = make_invite(email="argon@example.test")
    r = api_client.post(
        "/api/auth/signup",
        {
            "email": invite.email,
            "password": "Tr1cky-Passphrase-42",
            "name": "A",
            "invite_code": invite.code,
        },
        format="json",
    )
    assert r.status_code == 201
    from accounts.models import User

    assert User.objects.get(email="argon@example.test").password.startswith("argon2$")
    r = api_client.post(
        URL, {"email": "argon@example.test", "password": "Tr1cky-Passphrase-42"}, format="json"
    )
    assert r.status_code == 200
