"""POST /api/auth/signup: invite-gated sign-up (docs/api.md, Auth)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import RefreshToken, User
from invites.models import BetaInvite
from tests.conftest import assert_error

URL = "/api/auth/signup"
PASSWORD = "Tr1cky-Passphrase-42"

pytestmark = pytest.mark.django_db


def body(invite, **over):
    data = {"email": invite.email, "password": PASSWORD, "name": "Ada", "invite_code": invite.code}
    data.update(over)
    return data


def test_signup_creates_user_redeems_invite_and_returns_tokens(api_client, make_invite):
    invite = make_invite(email="ada@example.test")
    r = api_client.post(URL, body(invite), format="json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert set(data) == {"user", "access", "refresh"}
    assert set(data["user"]) == {
        "id",
        "email",
        "name",
        "avatar",
        "role",
        "subscription",
        "created_at",
    }
    assert data["user"]["email"] == "ada@example.test"
    assert data["user"]["role"] == "CREATOR" and data["user"]["subscription"] == "FREE"
    user = User.objects.get(email="ada@example.test")
    assert user.check_password(PASSWORD)
    invite.refresh_from_db()
    assert invite.used_at is not None and invite.used_by_id == user.pk
    address = EmailAddress.objects.get(user=user)
    assert address.email == "ada@example.test" and address.verified and address.primary
    assert RefreshToken.objects.filter(user=user).count() == 1
    assert r["Cache-Control"] == "no-store"
    # The access token works at once.
    me = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert me.status_code == 200 and me.json()["email"] == "ada@example.test"


def test_signup_email_and_code_are_case_insensitive(api_client, make_invite):
    invite = make_invite(email="mixed@example.test")
    r = api_client.post(
        URL,
        body(invite, email="MiXeD@Example.TEST", invite_code=invite.code.lower()),
        format="json",
    )
    assert r.status_code == 201, r.content
    assert User.objects.filter(email="mixed@example.test").exists()


def test_signup_trailing_slash_works(api_client, make_invite):
    invite = make_invite()
    assert api_client.post(URL + "/", body(invite), format="json").status_code == 201


@pytest.mark.parametrize("missing", ["email", "password", "name", "invite_code"])
def test_signup_missing_field_is_400(api_client, make_invite, missing):
    invite = make_invite()
    data = body(invite)
    del data[missing]
    err = assert_error(api_client.post(URL, data, format="json"), 400, "validation_error")
    assert missing in err["fields"]
    invite.refresh_from_db()
    assert invite.used_at is None


@pytest.mark.parametrize(
    "password", ["short1", "password123", "12345678901", "ada@example.test"], ids=str
)
def test_signup_weak_password_is_400_and_leaves_invite_usable(api_client, make_invite, password):
    invite = make_invite(email="ada@example.test")
    err = assert_error(
        api_client.post(URL, body(invite, password=password), format="json"),
        400,
        "validation_error",
    )
    assert "password" in err["fields"]
    invite.refresh_from_db()
    assert invite.used_at is None
    assert not User.objects.filter(email="ada@example.test").exists()
    # The invite still works afterwards.
    assert api_client.post(URL, body(invite), format="json").status_code == 201


def test_signup_validation_runs_before_the_invite_check(api_client):
    data = {"email": "not-an-email", "password": PASSWORD, "name": "x", "invite_code": "NOPE"}
    err = assert_error(api_client.post(URL, data, format="json"), 400, "validation_error")
    assert "email" in err["fields"]


def _invite_variants(make_invite, make_user):
    used_by = make_user()
    return {
        "unknown": (make_invite(email="target@example.test"), {"invite_code": "0123456789ABCDEF"}),
        "used": (
            make_invite(email="target@example.test", used_at=timezone.now(), used_by=used_by),
            {},
        ),
        "expired": (make_invite(email="target@example.test", expires_in=timedelta(seconds=-1)), {}),
        "revoked": (make_invite(email="target@example.test", revoked_at=timezone.now()), {}),
        "other_email": (
            make_invite(email="someone-else@example.test"),
            {"email": "target@example.test"},
        ),
    }


@pytest.mark.parametrize("variant", ["unknown", "used", "expired", "revoked", "other_email"])
def test_signup_without_a_usable_invite_is_403_with_one_body(
    api_client, make_invite, make_user, variant
):
    invite, over = _invite_variants(make_invite, make_user)[variant]
    data = body(invite, **over)
    data["email"] = "target@example.test"
    r = api_client.post(URL, data, format="json")
    err = assert_error(r, 403, "invite_required")
    assert err == {"code": "invite_required", "message": "Bêta fermée - invitation requise"}
    assert not User.objects.filter(email="target@example.test").exists()


def test_signup_invite_bodies_are_identical_across_reasons(api_client, make_invite, make_user):
    bodies = set()
    for invite, over in _invite_variants(make_invite, make_user).values():
        data = body(invite, **over)
        data["email"] = "target@example.test"
        bodies.add(api_client.post(URL, data, format="json").content)
    assert len(bodies) == 1


def test_signup_registered_email_with_valid_invite_is_409_and_invite_stays_unused(
    api_client, make_invite, make_user
):
    make_user(email="taken@example.test")
    invite = make_invite(email="taken@example.test")
    assert_error(api_client.post(URL, body(invite), format="json"), 409, "conflict")
    invite.refresh_from_db()
    assert invite.used_at is None
    assert User.objects.filter(email="taken@example.test").count() == 1


def test_signup_registered_email_without_invite_is_403_not_409(api_client, make_user):
    """The invite rule comes first: the answer does not reveal that the address is taken."""
    make_user(email="taken@example.test")
    data = {"email": "taken@example.test", "password": PASSWORD, "name": "x", "invite_code": "AAAA"}
    assert_error(api_client.post(URL, data, format="json"), 403, "invite_required")


def test_signup_invite_is_single_use(api_client, make_invite):
    invite = make_invite(email="once@example.test")
    assert api_client.post(URL, body(invite), format="json").status_code == 201
    User.objects.filter(email="once@example.test").update(email="moved@example.test")
    assert_error(api_client.post(URL, body(invite), format="json"), 403, "invite_required")
    assert BetaInvite.objects.get(pk=invite.pk).used_by.email == "moved@example.test"


def test_signup_ignores_a_stale_bearer_header(api_client, make_invite):
    invite = make_invite()
    r = api_client.post(URL, body(invite), format="json", HTTP_AUTHORIZATION="Bearer garbage")
    assert r.status_code == 201


def test_signup_response_never_contains_password_material(api_client, make_invite):
    invite = make_invite()
    r = api_client.post(URL, body(invite), format="json")
    text = r.content.decode()
    assert PASSWORD not in text and "md5$" not in text and "deleted_at" not in text
    assert "stripe" not in text


def test_a_weak_password_is_reported_with_the_other_field_errors(api_client):
    response = api_client.post(
        "/api/auth/signup",
        {"email": "weak@example.test", "password": "123", "name": "W"},
        format="json",
    )
    error = assert_error(response, 400, "validation_error")
    assert {"invite_code", "password"} <= set(error["fields"])


def test_a_password_like_the_email_is_refused(api_client):
    response = api_client.post(
        "/api/auth/signup",
        {
            "email": "marguerite.duras@example.test",
            "password": "marguerite.duras",
            "name": "M",
            "invite_code": "0123456789ABCDEF",
        },
        format="json",
    )
    error = assert_error(response, 400, "validation_error")
    assert "password" in error["fields"]
