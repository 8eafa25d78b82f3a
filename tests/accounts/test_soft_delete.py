"""DELETE /api/users/profile: the soft delete of docs/data-model.md, and the staff restore service.

The sign-in / refresh / sign-up halves of the story are in test_soft_delete_flows.py.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import authenticate
from django.test import Client

from accounts.models import ApiKey, RefreshToken, User
from accounts.services.users import user_restore, user_soft_delete
from huntaze.exceptions import Conflict
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD, api_key_client, auth_client, make_refresh_token

pytestmark = pytest.mark.django_db
URL = "/api/users/profile"


def _delete(client, password=DEFAULT_PASSWORD):
    return client.delete(URL, {"password": password}, format="json")


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": "wrong-password"}])
def test_delete_needs_the_current_password(user, client_for_user, body):
    error = assert_error(client_for_user.delete(URL, body, format="json"), 400, "validation_error")
    assert "password" in error["fields"]
    user.refresh_from_db()
    assert user.deleted_at is None and user.is_active


def test_delete_without_a_body_is_a_400(user, client_for_user):
    assert_error(client_for_user.delete(URL), 400, "validation_error")


def test_delete_soft_deletes_and_revokes_everything_in_one_go(user, client_for_user, make_api_key):
    email = user.email
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    SocialAccount.objects.create(user=user, provider="google", uid="g-123")
    live = make_refresh_token(user=user)
    spent = make_refresh_token(user=user, used_at=user.created_at)
    key, _raw = make_api_key(user=user)

    assert _delete(client_for_user).status_code == 204

    user.refresh_from_db()
    assert user.deleted_at is not None
    assert user.is_active is False
    assert user.email == f"deleted+{user.pk.hex}@deleted.invalid"
    assert user.deleted_email == email
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(email__iexact=email).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    assert all(
        t.revoked_at is not None for t in RefreshToken.objects.filter(pk__in=[live.pk, spent.pk])
    )
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    # Django's own authenticate() refuses the user (inactive, no usable password).
    assert authenticate(email=email, password=DEFAULT_PASSWORD) is None


def test_after_delete_the_old_access_token_is_refused(user, client_for_user):
    assert _delete(client_for_user).status_code == 204
    assert_error(client_for_user.get(URL), 401, "token_invalid")
    assert_error(auth_client(user).get(URL), 401, "token_invalid")


def test_after_delete_the_old_api_key_is_refused(user, client_for_user, make_api_key):
    _key, raw = make_api_key(user=user, permissions=["profile:read"])
    assert api_key_client(raw).get(URL).status_code == 200
    assert _delete(client_for_user).status_code == 204
    assert_error(api_key_client(raw).get(URL), 401, "token_invalid")


def test_after_delete_django_sessions_are_ended(user, client_for_user):
    browser = Client()
    browser.force_login(user)
    assert browser.get(URL).status_code == 200
    assert _delete(client_for_user).status_code == 204
    response = browser.get(URL)
    assert_error(response, 401, "not_authenticated")


def test_admin_session_of_a_deleted_admin_is_ended(make_admin):
    admin_user = make_admin()
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get("/admin/").status_code == 200
    user_soft_delete(user=admin_user)
    assert browser.get("/admin/").status_code == 302


def test_the_address_is_free_again_for_a_new_account(user, client_for_user):
    email = user.email
    assert _delete(client_for_user).status_code == 204
    newcomer = User.objects.create_user(email=email, password=DEFAULT_PASSWORD)
    assert newcomer.pk != user.pk


def test_an_api_key_can_never_delete_the_account(user, make_api_key):
    _key, raw = make_api_key(
        user=user, permissions=["profile:read", "content:read", "content:write", "billing:read"]
    )
    response = api_key_client(raw).delete(URL, {"password": DEFAULT_PASSWORD}, format="json")
    assert_error(response, 403, "permission_denied")
    user.refresh_from_db()
    assert user.deleted_at is None


def test_soft_delete_is_idempotent(user):
    user_soft_delete(user=user)
    first = User.objects.get(pk=user.pk).deleted_at
    user_soft_delete(user=user)
    assert User.objects.get(pk=user.pk).deleted_at == first


def test_content_survives_the_soft_delete(user, client_for_user, make_asset):
    asset = make_asset(user=user)
    assert _delete(client_for_user).status_code == 204
    assert asset.__class__.objects.filter(pk=asset.pk).exists()


# --- restore (staff) ----------------------------------------------------------------------


def test_restore_brings_the_user_back_under_the_former_address(user):
    email = user.email
    user_soft_delete(user=user)
    user_restore(user=user)
    user.refresh_from_db()
    assert (user.email, user.deleted_at, user.is_active, user.deleted_email) == (
        email,
        None,
        True,
        None,
    )
    assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True).exists()
    # The password stays unusable: the user resets it.
    assert not user.has_usable_password()
    assert auth_client(user).get(URL).status_code == 200


def test_restore_refuses_a_former_address_taken_again_and_takes_a_new_one(user, make_user):
    email = user.email
    user_soft_delete(user=user)
    make_user(email=email.upper())
    with pytest.raises(Conflict):
        user_restore(user=user)
    user.refresh_from_db()
    assert user.deleted_at is not None
    with pytest.raises(Conflict):
        user_restore(user=user, email=email)
    user_restore(user=user, email="Back.Again@Example.TEST")
    user.refresh_from_db()
    assert user.email == "back.again@example.test" and user.deleted_at is None
    assert EmailAddress.objects.filter(user=user, email=user.email, verified=False).exists()


def test_restore_keeps_keys_and_tokens_revoked(user, make_api_key):
    _key, raw = make_api_key(user=user)
    user_soft_delete(user=user)
    user_restore(user=user)
    assert_error(api_key_client(raw).get(URL), 401, "token_invalid")


def test_restore_of_a_live_user_is_a_conflict(user):
    with pytest.raises(Conflict):
        user_restore(user=user)


def test_a_failure_mid_way_leaves_nothing_half_done(user, make_api_key):
    """A real database failure on the last step (revoking keys) rolls back every step."""
    from django.db import DatabaseError, connection

    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    token = make_refresh_token(user=user)
    key, _raw = make_api_key(user=user)
    email, password = user.email, user.password
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_fail_api_keys() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql;"
            "CREATE TRIGGER test_fail BEFORE UPDATE ON api_keys FOR EACH ROW "
            "EXECUTE FUNCTION test_fail_api_keys();"
        )
    with pytest.raises(DatabaseError):
        user_soft_delete(user=user)
    user.refresh_from_db()
    assert (user.email, user.password, user.deleted_at, user.is_active) == (
        email,
        password,
        None,
        True,
    )
    assert EmailAddress.objects.filter(user=user).exists()
    assert RefreshToken.objects.get(pk=token.pk).revoked_at is None
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_delete_clears_the_browser_cookies(user, client_for_user):
    response = _delete(client_for_user)
    assert response.status_code == 204
    for name in ("access_token", "refresh_token"):
        assert response.cookies[name].value == ""
        assert response.cookies[name]["max-age"] == 0
