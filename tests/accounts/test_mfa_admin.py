"""Two-factor in the admin through Django's test client (docs/admin.md, Two-factor): the login's
code step, STAFF_MFA_REQUIRED, the set-up page, and the staff tools on a user's page."""

from __future__ import annotations

import logging
import re

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client

from accounts.models import MfaChallenge, RefreshToken, TotpPendingSecret
from accounts.services.mfa import totp_setup_pending
from tests.factories import DEFAULT_PASSWORD, make_refresh_token
from tests.totp import current_step, enable_totp, totp

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
CODE = "/admin/mfa/code/"
SETUP = "/admin/mfa/setup/"


@pytest.fixture
def required(settings):
    settings.STAFF_MFA_REQUIRED = True


def _password_step(client, user, next_url="/admin/"):
    return client.post(
        f"{LOGIN}?next={next_url}", {"username": user.email, "password": DEFAULT_PASSWORD}
    )


def test_staff_with_totp_pass_a_code_step_before_any_admin_page(make_admin):
    staff = make_admin()
    secret, _ = enable_totp(staff)
    client = Client()
    r = _password_step(client, staff, "/admin/accounts/user/")
    assert r.status_code == 302 and r["Location"] == CODE
    # Not signed in yet: every admin page still asks for the login.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/").url.startswith(LOGIN)
    page = client.get(CODE)
    assert page.status_code == 200
    html = page.content.decode()
    # One field, named code (plus the CSRF token).
    names = set(re.findall(r'<input[^>]* name="([^"]+)"', html)) - {"csrfmiddlewaretoken"}
    assert names == {"code"}
    r = client.post(CODE, {"code": "000000" if totp(secret, current_step()) != "000000" else "1"})
    assert r.status_code == 200 and "Code incorrect" in r.content.decode()
    r = client.post(CODE, {"code": totp(secret, current_step())})
    assert r.status_code == 302 and r["Location"] == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200
    assert MfaChallenge.objects.get(user=staff).used_at is not None


def test_staff_without_totp_sign_in_with_the_password_when_not_required(make_admin, settings):
    settings.STAFF_MFA_REQUIRED = False
    staff = make_admin()
    client = Client()
    r = _password_step(client, staff)
    assert r.status_code == 302 and r["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert not MfaChallenge.objects.exists()


def test_the_code_step_refuses_a_replayed_code(make_admin):
    staff = make_admin()
    secret, _ = enable_totp(staff)
    code = totp(secret, current_step())
    first = Client()
    _password_step(first, staff)
    assert first.post(CODE, {"code": code}).status_code == 302
    second = Client()
    _password_step(second, staff)
    r = second.post(CODE, {"code": code})
    assert r.status_code == 200
    assert second.get("/admin/").status_code == 302


def test_a_recovery_code_works_once_in_the_admin(make_admin):
    staff = make_admin()
    _, codes = enable_totp(staff)
    client = Client()
    _password_step(client, staff)
    r = client.post(CODE, {"code": codes[0]}, follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0] == "/admin/"
    other = Client()
    _password_step(other, staff)
    assert other.post(CODE, {"code": codes[0]}).status_code == 200  # refused, form again


def test_five_wrong_codes_send_back_to_the_password(make_admin, settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        **rest["DEFAULT_THROTTLE_RATES"],
        "mfa_user_failures": "100/5min",
    }
    settings.REST_FRAMEWORK = rest
    staff = make_admin()
    secret, _ = enable_totp(staff)
    client = Client()
    _password_step(client, staff)
    wrong = "000000" if totp(secret, current_step()) != "000000" else "111111"
    for _ in range(4):
        assert client.post(CODE, {"code": wrong}).status_code == 200
    r = client.post(CODE, {"code": wrong})
    assert r.status_code == 302 and r["Location"] == LOGIN
    assert client.get(CODE).status_code == 302  # nothing pending any more
    assert client.get("/admin/").status_code == 302


def test_the_code_step_without_a_password_step_goes_to_the_login():
    r = Client().get(CODE)
    assert r.status_code == 302 and r["Location"] == LOGIN


def test_a_creator_with_totp_gets_no_admin_challenge(make_user):
    creator = make_user()
    enable_totp(creator)
    r = _password_step(Client(), creator)
    assert r.status_code == 200  # the login form again: not staff
    assert not MfaChallenge.objects.exists()


# --- STAFF_MFA_REQUIRED -------------------------------------------------------------------------


def test_required_staff_without_totp_reach_only_the_setup_page(make_admin, required):
    staff = make_admin()
    client = Client()
    r = _password_step(client, staff)
    assert r.status_code == 302
    for path in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{staff.pk}/change/",
        "/admin/invites/betainvite/",
        "/admin/beta/",
        "/admin/section/beta/",
    ):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"] == SETUP, path
    r = client.post("/admin/invites/betainvite/add/", {"email": "x@example.test"})
    assert r.status_code == 302 and r["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    pending = totp_setup_pending(user=staff)
    grouped = " ".join(pending.secret[i : i + 4] for i in range(0, len(pending.secret), 4))
    assert grouped in html
    # A reload shows the same secret (the app may already have it).
    assert grouped in client.get(SETUP).content.decode()
    names = set(re.findall(r'<input[^>]* name="([^"]+)"', html)) - {
        "csrfmiddlewaretoken",
        "next",
        "language",
    }
    assert names == {"code"}

    r = client.post(SETUP, {"code": "12"})
    assert r.status_code == 200 and not Authenticator.objects.filter(user=staff).exists()
    r = client.post(SETUP, {"code": totp(pending.secret, current_step())})
    assert r.status_code == 200
    codes = re.findall(r"<li>(\d{8})</li>", r.content.decode())
    assert len(codes) == 10
    assert Authenticator.objects.filter(user=staff, type="totp").exists()
    assert not TotpPendingSecret.objects.filter(user=staff).exists()
    assert client.get("/admin/").status_code == 200
    # Shown once: the set-up page now only says it is on.
    again = client.get(SETUP).content.decode()
    assert codes[0] not in again and 'id="mfa-enabled"' in again


def test_required_staff_with_totp_pass_the_code_step_then_the_admin(make_admin, required):
    staff = make_admin()
    secret, _ = enable_totp(staff)
    client = Client()
    assert _password_step(client, staff)["Location"] == CODE
    assert client.post(CODE, {"code": totp(secret, current_step())}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_setup_page_needs_a_signed_in_staff_member(make_user, required):
    assert Client().get(SETUP)["Location"].startswith(LOGIN)
    creator = make_user()
    client = Client()
    client.force_login(creator)
    assert client.get(SETUP)["Location"].startswith(LOGIN)
    assert not TotpPendingSecret.objects.exists()


def test_the_api_is_not_behind_the_admin_setup(make_admin, required, api_client):
    staff = make_admin()
    r = api_client.post(
        "/api/auth/signin", {"email": staff.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert r.status_code == 200 and "access" in r.json()


# --- staff tools ------------------------------------------------------------------------------


def test_staff_turn_off_a_users_two_factor_with_confirmation_and_a_log_line(
    make_admin, make_user, caplog
):
    staff, creator = make_admin(), make_user()
    enable_totp(creator)
    client = Client()
    client.force_login(staff)
    change = client.get(f"/admin/accounts/user/{creator.pk}/change/").content.decode()
    assert 'id="user-two-factor-off"' in change and "10 codes de secours" in change
    url = f"/admin/accounts/user/{creator.pk}/two-factor/"
    page = client.get(url)
    assert page.status_code == 200 and 'id="user-two-factor-confirm"' in page.content.decode()
    assert Authenticator.objects.filter(user=creator).count() == 2  # GET changes nothing
    with caplog.at_level(logging.WARNING, logger="huntaze.accounts"):
        r = client.post(url)
    assert r.status_code == 302
    assert not Authenticator.objects.filter(user=creator).exists()
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "huntaze.accounts"]
    assert any(str(creator.pk) in line and str(staff.pk) in line for line in lines), lines
    # The creator now signs in with the password alone.
    r = Client().post(
        "/api/auth/signin",
        {"email": creator.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert "access" in r.json()


def test_staff_sign_a_user_out_everywhere(make_admin, make_user, caplog):
    staff, creator = make_admin(), make_user()
    tokens = [make_refresh_token(user=creator) for _ in range(3)]
    other = make_refresh_token(user=staff)
    browser = Client()
    browser.force_login(creator)  # e.g. allauth's pages, signed in
    client = Client()
    client.force_login(staff)
    url = f"/admin/accounts/user/{creator.pk}/sign-out/"
    assert (
        'id="user-sign-out"'
        in client.get(f"/admin/accounts/user/{creator.pk}/change/").content.decode()
    )
    assert client.get(url).status_code == 200
    assert RefreshToken.objects.filter(user=creator, revoked_at__isnull=True).count() == 3
    with caplog.at_level(logging.WARNING, logger="accounts.services.users"):
        assert client.post(url).status_code == 302
    assert "_auth_user_id" not in browser.session.load()
    assert client.get("/admin/").status_code == 200  # the staff member's own session stays
    assert not RefreshToken.objects.filter(user=creator, revoked_at__isnull=True).exists()
    assert RefreshToken.objects.filter(pk=other.pk, revoked_at__isnull=True).exists()
    assert all(t.pk for t in tokens)
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "accounts.services.users"]
    assert any(str(creator.pk) in line and str(staff.pk) in line for line in lines), lines


def test_the_user_list_shows_who_has_two_factor_on(make_admin, make_user):
    staff = make_admin(email="boss@example.test")
    on, off = make_user(email="on@example.test"), make_user(email="off@example.test")
    enable_totp(on)
    client = Client()
    client.force_login(staff)
    html = client.get("/admin/accounts/user/").content.decode()
    assert "column-two_factor_column" in html
    listed = client.get("/admin/accounts/user/?two_factor=on").content.decode()
    assert on.email in listed and off.email not in listed
    listed = client.get("/admin/accounts/user/?two_factor=off").content.decode()
    assert off.email in listed and on.email not in listed


def test_the_admin_in_english(make_admin, required):
    staff = make_admin()
    client = Client(headers={"accept-language": "en"})
    client.force_login(staff)
    html = client.get(SETUP).content.decode()
    assert "Scan this QR code" in html and "Scannez" not in html


def test_seed_says_how_the_staff_account_enrols(settings):
    from io import StringIO

    settings.DEBUG = True
    settings.STAFF_MFA_REQUIRED = False  # the development default
    out = StringIO()
    call_command("seed", stdout=out, stderr=StringIO())
    line = next(line for line in out.getvalue().splitlines() if "/admin/mfa/setup/" in line)
    assert "optional here" in line and "STAFF_MFA_REQUIRED" in line


@pytest.mark.slow
@pytest.mark.parametrize(
    ("debug", "override", "expected"),
    [("false", None, "True"), ("true", None, "False"), ("false", "false", "False")],
)
def test_staff_mfa_is_required_by_default_in_production_only(debug, override, expected):
    import os

    from tests.servers import manage, production_env

    env = production_env(os.environ.get("DATABASE_URL", "postgres://u@127.0.0.1/x"))
    env["DJANGO_DEBUG"] = debug
    env.pop("STAFF_MFA_REQUIRED", None)
    if override is not None:
        env["STAFF_MFA_REQUIRED"] = override
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.STAFF_MFA_REQUIRED)",
        env=env,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == expected


def test_allauths_login_page_asks_for_the_code_too(make_user):
    creator = make_user()
    secret, _ = enable_totp(creator)
    client = Client()
    r = client.post("/accounts/login/", {"login": creator.email, "password": DEFAULT_PASSWORD})
    assert r.status_code == 302 and "/accounts/2fa/authenticate/" in r["Location"]
    assert "_auth_user_id" not in client.session
    r = client.post("/accounts/2fa/authenticate/", {"code": totp(secret, current_step())})
    assert r.status_code == 302
    assert client.session["_auth_user_id"] == str(creator.pk)


def test_allauths_signup_page_stays_closed(make_user):
    r = Client().post(
        "/accounts/signup/",
        {"email": "new@example.test", "password1": "Xx-12345678", "password2": "Xx-12345678"},
    )
    from accounts.models import User

    assert not User.objects.filter(email="new@example.test").exists()
    assert r.status_code in (200, 302, 403)


def test_a_code_spent_through_the_api_is_refused_by_allauths_page(make_user, api_client):
    creator = make_user()
    secret, _ = enable_totp(creator)
    code = totp(secret, current_step())
    r = api_client.post(
        "/api/auth/signin", {"email": creator.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    verify = {"mfa_token": r.json()["mfa_token"], "code": code}
    assert api_client.post("/api/auth/mfa/verify", verify, format="json").status_code == 200
    client = Client()
    client.post("/accounts/login/", {"login": creator.email, "password": DEFAULT_PASSWORD})
    r = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert r.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session


def test_an_operator_turns_two_factor_off_from_the_shell(make_admin):
    from io import StringIO

    from django.core.management.base import CommandError

    staff = make_admin(email="locked@example.test")
    enable_totp(staff)
    out = StringIO()
    call_command("mfa_disable", "Locked@Example.test", stdout=out)
    assert "turned off" in out.getvalue()
    assert not Authenticator.objects.filter(user=staff).exists()
    out = StringIO()
    call_command("mfa_disable", staff.email, stdout=out)
    assert "nothing changed" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("mfa_disable", "nobody@example.test")


def test_required_staff_without_totp_are_refused_on_the_apis_staff_routes(make_admin, settings):
    from tests.conftest import assert_error
    from tests.factories import auth_client

    staff = make_admin()
    client = auth_client(staff)
    settings.STAFF_MFA_REQUIRED = False
    assert client.get("/api/invites").status_code == 200
    settings.STAFF_MFA_REQUIRED = True
    err = assert_error(client.get("/api/invites"), 403, "permission_denied")
    assert "/api/auth/mfa/totp" in err["message"]
    # What they need stays open: the two-factor set-up.
    assert client.get("/api/auth/mfa").status_code == 200
    enable_totp(staff)
    assert client.get("/api/invites").status_code == 200
