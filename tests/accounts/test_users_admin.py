"""Users, API keys and refresh tokens in the Django admin (docs/api.md, Admin), as a logged-in ADMIN."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from accounts.models import ApiKey, Plan, RefreshToken, User
from accounts.services.users import user_soft_delete
from tests.factories import make_refresh_token

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/user/"
KEYS = "/admin/accounts/apikey/"
TOKENS = "/admin/accounts/refreshtoken/"


@pytest.fixture
def staff(make_admin):
    admin_user = make_admin()
    client = Client()
    client.force_login(admin_user)
    client.admin_user = admin_user
    return client


def _action(client, url, action, objs, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(o.pk) for o in objs], **extra}
    return client.post(url, data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_creator_cannot_reach_the_admin(user):
    client = Client()
    client.force_login(user)
    for url in ("/admin/", USERS, KEYS, TOKENS, f"{USERS}{user.pk}/restore/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_user_list_has_search_and_filters_by_plan_role_and_deleted(staff, make_user):
    pro = make_user(email="pro.creator@example.test", subscription=Plan.PRO)
    gone = make_user(email="gone@example.test")
    user_soft_delete(user=gone)

    page = staff.get(USERS)
    assert page.status_code == 200
    html = page.content.decode()
    for needle in ("subscription__exact", "role__exact", "deleted=yes", "deleted=no"):
        assert needle in html, needle
    assert "Supprimé le" in html  # deleted users are shown, flagged

    found = staff.get(USERS, {"q": "pro.creator"}).context["cl"].result_list
    assert list(found) == [pro]
    by_former_email = staff.get(USERS, {"q": "gone@example"}).context["cl"].result_list
    assert list(by_former_email) == [gone]
    assert list(staff.get(USERS, {"subscription__exact": "PRO"}).context["cl"].result_list) == [pro]
    assert list(staff.get(USERS, {"deleted": "yes"}).context["cl"].result_list) == [gone]
    live = staff.get(USERS, {"deleted": "no"}).context["cl"].result_list
    assert gone not in live and pro in live
    admins = staff.get(USERS, {"role__exact": "ADMIN"}).context["cl"].result_list
    assert list(admins) == [staff.admin_user]


def test_no_password_hash_key_or_token_digest_is_ever_shown(staff, user, make_api_key):
    key, raw = make_api_key(user=user)
    token = make_refresh_token(user=user)
    pages = [
        staff.get(USERS),
        staff.get(f"{USERS}{user.pk}/change/"),
        staff.get(KEYS),
        staff.get(f"{KEYS}{key.pk}/change/"),
        staff.get(TOKENS),
        staff.get(f"{TOKENS}{token.pk}/change/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for secret in (user.password, key.key_hash, raw, token.token_hash):
            assert secret not in html
        assert "key_hash" not in html and "token_hash" not in html
    assert key.prefix in pages[2].content.decode()


def test_users_cannot_be_added_or_hard_deleted_in_the_admin(staff, user):
    assert staff.get(f"{USERS}add/").status_code == 403
    assert staff.get(f"{USERS}{user.pk}/delete/").status_code == 403
    assert 'value="delete_selected"' not in staff.get(USERS).content.decode()
    assert staff.get(f"{KEYS}add/").status_code == 403
    assert staff.get(f"{TOKENS}add/").status_code == 403


def test_editing_a_user_cannot_touch_email_plan_role_or_deletion_fields(staff, user):
    email = user.email
    response = staff.post(
        f"{USERS}{user.pk}/change/",
        {
            "name": "Renamed",
            "avatar": "",
            "role": "ADMIN",
            "subscription": "PRO",
            "email": "hijack@example.test",
            "is_active": "",
            "deleted_at": "2020-01-01 00:00:00",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    # The plan follows Stripe and the role has its own confirmed page: neither is a field.
    assert (user.name, user.subscription, user.email) == ("Renamed", "FREE", email)
    assert user.is_active and user.deleted_at is None and user.role == "CREATOR"


def test_soft_delete_action_confirms_then_calls_the_service(staff, user, make_api_key):
    key, _raw = make_api_key(user=user)
    token = make_refresh_token(user=user)
    confirm = _action(staff, USERS, "soft_delete_selected", [user])
    assert confirm.status_code == 200
    assert "Oui, supprimer" in confirm.content.decode() and user.email in confirm.content.decode()
    user.refresh_from_db()
    assert user.deleted_at is None

    done = _action(staff, USERS, "soft_delete_selected", [user], confirm="yes")
    assert any("1 compte supprimé" in m for m in _messages(done))
    user.refresh_from_db()
    assert user.deleted_at is not None and not user.is_active
    assert user.email.endswith("@deleted.invalid")
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert RefreshToken.objects.get(pk=token.pk).revoked_at is not None


def test_staff_cannot_soft_delete_themselves_from_the_list(staff):
    _action(staff, USERS, "soft_delete_selected", [staff.admin_user], confirm="yes")
    assert User.objects.get(pk=staff.admin_user.pk).deleted_at is None


def test_restore_action_restores_under_the_former_address(staff, user):
    email = user.email
    user_soft_delete(user=user)
    done = _action(staff, USERS, "restore_selected", [user])
    assert any("1 compte restauré" in m for m in _messages(done))
    user.refresh_from_db()
    assert user.deleted_at is None and user.is_active and user.email == email


def test_restore_when_the_address_was_taken_again_asks_for_a_new_one(staff, user, make_user):
    email = user.email
    user_soft_delete(user=user)
    make_user(email=email)
    done = _action(staff, USERS, "restore_selected", [user])
    restore_url = f"{USERS}{user.pk}/restore/"
    warning = " ".join(_messages(done))
    assert "de nouveau utilisée" in warning and restore_url in warning
    user.refresh_from_db()
    assert user.deleted_at is not None

    form = staff.get(restore_url)
    assert form.status_code == 200
    assert f'value="{email}"' in form.content.decode()

    taken = staff.post(restore_url, {"email": email})
    assert taken.status_code == 200
    assert "de nouveau utilisée" in taken.content.decode()
    assert User.objects.get(pk=user.pk).deleted_at is not None

    invalid = staff.post(restore_url, {"email": "nope"})
    assert invalid.status_code == 200 and User.objects.get(pk=user.pk).deleted_at is not None

    ok = staff.post(restore_url, {"email": "Second.Life@Example.TEST"}, follow=True)
    assert ok.redirect_chain[-1][0].endswith(f"{USERS}{user.pk}/change/")
    user.refresh_from_db()
    assert user.deleted_at is None and user.email == "second.life@example.test"


def test_restore_page_of_a_live_user_redirects(staff, user):
    response = staff.get(f"{USERS}{user.pk}/restore/")
    assert response.status_code == 302
    assert staff.get(f"{USERS}00000000-0000-0000-0000-000000000000/restore/").status_code == 404


def test_change_page_of_a_deleted_user_links_to_the_restore_page(staff, user):
    user_soft_delete(user=user)
    html = staff.get(f"{USERS}{user.pk}/change/").content.decode()
    assert f"{USERS}{user.pk}/restore/" in html
    assert "réinitialisation requise" in html


def test_api_key_list_filters_and_revoke_action(staff, user, make_api_key):
    key, raw = make_api_key(user=user, name="to-revoke")
    other, _ = make_api_key(user=user, name="keep")
    assert list(staff.get(KEYS, {"status": "active"}).context["cl"].result_list) == [other, key]
    done = _action(staff, KEYS, "revoke_selected", [key])
    assert any("1 clé révoquée" in m for m in _messages(done))
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=other.pk).revoked_at is None
    assert list(staff.get(KEYS, {"status": "revoked"}).context["cl"].result_list) == [key]
    from tests.factories import api_key_client

    assert api_key_client(raw).get("/api/users/profile").status_code == 401


def test_refresh_token_revoke_action(staff, user):
    token = make_refresh_token(user=user)
    other = make_refresh_token(user=user)
    done = _action(staff, TOKENS, "revoke_selected", [token])
    assert any("1 jeton révoqué" in m for m in _messages(done))
    assert RefreshToken.objects.get(pk=token.pk).revoked_at is not None
    assert RefreshToken.objects.get(pk=other.pk).revoked_at is None
