"""After a soft delete, through the auth endpoints (docs/data-model.md, Soft delete; docs/api.md, Auth).

These tests call /api/auth/signin, /refresh and /signup, built on the auth branch: on the
users branch alone they fail until that branch is merged.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD, api_key_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "An0ther-Long-Passphrase"


def _signin(email, password=DEFAULT_PASSWORD):
    return APIClient().post(
        "/api/auth/signin", {"email": email, "password": password}, format="json"
    )


def _delete_account(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.delete("/api/users/profile", {"password": DEFAULT_PASSWORD}, format="json")


def test_after_delete_signin_access_refresh_and_key_all_get_401(user, make_api_key):
    email = user.email
    signed_in = _signin(email)
    assert signed_in.status_code == 200, signed_in.content
    tokens = signed_in.json()
    _key, raw_key = make_api_key(user=user, permissions=["profile:read"])

    assert _delete_account(tokens["access"]).status_code == 204

    assert_error(_signin(email), 401, "invalid_credentials")
    old = APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert_error(old.get("/api/users/profile"), 401, "token_invalid")
    assert_error(old.get("/api/auth/me"), 401, "token_invalid")
    refreshed = APIClient().post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert_error(refreshed, 401, "token_invalid")
    assert_error(api_key_client(raw_key).get("/api/users/profile"), 401, "token_invalid")


def test_the_same_email_signs_up_again_with_a_new_invite(user, make_invite):
    email = user.email
    signed_in = _signin(email)
    assert signed_in.status_code == 200, signed_in.content
    assert _delete_account(signed_in.json()["access"]).status_code == 204

    invite = make_invite(email=email)
    response = APIClient().post(
        "/api/auth/signup",
        {"email": email, "password": NEW_PASSWORD, "name": "Back", "invite_code": invite.code},
        format="json",
    )
    assert response.status_code == 201, response.content
    new_id = response.json()["user"]["id"]
    assert new_id != str(user.pk)
    assert User.objects.get(pk=new_id).email == email
    assert _signin(email, NEW_PASSWORD).status_code == 200
    # The deleted account is still there for staff, under its placeholder.
    assert User.objects.get(pk=user.pk).deleted_at is not None
