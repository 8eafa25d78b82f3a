"""Auth cookies and the Origin rule for cookie-authenticated unsafe requests (docs/api.md, Authentication)."""

from __future__ import annotations

import pytest

from accounts.models import RefreshToken
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

ALLOWED = "http://localhost:3000"


@pytest.fixture
def signed_in(api_client, make_user):
    make_user(email="sam@example.test")
    r = api_client.post(
        "/api/auth/signin",
        {"email": "sam@example.test", "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert r.status_code == 200
    return r


def test_signin_sets_http_only_lax_cookies(signed_in):
    access, refresh = signed_in.cookies["access_token"], signed_in.cookies["refresh_token"]
    assert access["path"] == "/" and access["httponly"] and access["samesite"] == "Lax"
    assert int(access["max-age"]) == 15 * 60
    assert refresh["path"] == "/api/auth" and refresh["httponly"] and refresh["samesite"] == "Lax"
    assert 30 * 86400 - 60 <= int(refresh["max-age"]) <= 30 * 86400


def test_cookies_are_secure_when_configured(api_client, make_user, settings):
    settings.AUTH_COOKIE_SECURE = True
    make_user(email="sam@example.test")
    r = api_client.post(
        "/api/auth/signin",
        {"email": "sam@example.test", "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert r.cookies["access_token"]["secure"] and r.cookies["refresh_token"]["secure"]


def test_signup_sets_cookies(api_client, make_invite):
    invite = make_invite()
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
    assert r.cookies["access_token"].value == r.json()["access"]
    assert r.cookies["refresh_token"].value == r.json()["refresh"]


def test_cookie_refresh_without_origin_is_403(api_client, signed_in):
    r = api_client.post("/api/auth/refresh", {}, format="json")
    assert_error(r, 403, "permission_denied")
    # Nothing was spent.
    assert not RefreshToken.objects.filter(used_at__isnull=False).exists()


def test_cookie_refresh_with_foreign_origin_is_403(api_client, signed_in):
    r = api_client.post("/api/auth/refresh", {}, format="json", HTTP_ORIGIN="https://evil.example")
    assert_error(r, 403, "permission_denied")


def test_cookie_refresh_with_allowed_origin_rotates_and_resets_cookies(api_client, signed_in):
    old = signed_in.cookies["refresh_token"].value
    r = api_client.post("/api/auth/refresh", {}, format="json", HTTP_ORIGIN=ALLOWED)
    assert r.status_code == 200, r.content
    assert r.cookies["refresh_token"].value == r.json()["refresh"] != old
    assert r.cookies["access_token"].value == r.json()["access"]
    assert r["Cache-Control"] == "no-store"


def test_cookie_refresh_with_allowed_referer_works(api_client, signed_in):
    r = api_client.post("/api/auth/refresh", {}, format="json", HTTP_REFERER=f"{ALLOWED}/app/page")
    assert r.status_code == 200


def test_body_token_is_not_subject_to_the_origin_rule(api_client, signed_in):
    r = api_client.post(
        "/api/auth/refresh", {"refresh": signed_in.json()["refresh"]}, format="json"
    )
    assert r.status_code == 200


def test_cookie_signout_needs_allowed_origin(api_client, signed_in):
    assert_error(api_client.post("/api/auth/signout", {}, format="json"), 403, "permission_denied")
    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()
    r = api_client.post("/api/auth/signout", {}, format="json", HTTP_ORIGIN=ALLOWED)
    assert r.status_code == 204
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    assert r.cookies["access_token"].value == "" and r.cookies["refresh_token"].value == ""


def test_access_cookie_authenticates_reads_and_checks_origin_on_writes(api_client, signed_in):
    assert api_client.get("/api/auth/me").status_code == 200
    body = {"current_password": DEFAULT_PASSWORD, "new_password": "Brand-New-Passw0rd!"}
    assert_error(
        api_client.post("/api/auth/password/change", body, format="json"), 403, "permission_denied"
    )
    r = api_client.post("/api/auth/password/change", body, format="json", HTTP_ORIGIN=ALLOWED)
    assert r.status_code == 204
    # The change voids the cookie's token, and the response clears the cookies.
    assert r.cookies["access_token"].value == ""


def test_bearer_writes_are_not_subject_to_the_origin_rule(api_client, signed_in):
    client = api_client
    client.cookies.clear()
    r = client.post(
        "/api/auth/password/change",
        {"current_password": DEFAULT_PASSWORD, "new_password": "Brand-New-Passw0rd!"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {signed_in.json()['access']}",
    )
    assert r.status_code == 204
