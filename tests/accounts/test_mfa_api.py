"""Two-factor sign-in through the API: /api/auth/mfa… and sign-in's second step (docs/auth.md).

TOTP codes are computed in the tests from the secret (tests/totp.py, RFC 6238)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import MfaChallenge, RefreshToken, TotpPendingSecret
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD, auth_client
from tests.totp import current_step, enable_totp, totp

pytestmark = pytest.mark.django_db

SIGNIN = "/api/auth/signin"
VERIFY = "/api/auth/mfa/verify"


def _signin(client, user, password=DEFAULT_PASSWORD):
    return client.post(SIGNIN, {"email": user.email, "password": password}, format="json")


def _challenge(client, user) -> str:
    r = _signin(client, user)
    assert r.status_code == 200, r.content
    return r.json()["mfa_token"]


def _verify(client, token, code):
    return client.post(VERIFY, {"mfa_token": token, "code": code}, format="json")


@pytest.fixture
def roomy_code_limit(settings):
    """Wrong codes per user at 100/5min: tests of one challenge's attempts are not cut short
    by the user's bucket (tested on its own below)."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        **rest["DEFAULT_THROTTLE_RATES"],
        "mfa_user_failures": "100/5min",
    }
    settings.REST_FRAMEWORK = rest


def test_the_test_helper_matches_rfc6238_vectors():
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890": T=59 → 94287082, T=1111111109 →
    # 07081804 (8 digits).
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, 59 // 30, digits=8) == "94287082"
    assert totp(secret, 1111111109 // 30, digits=8) == "07081804"
    assert totp(secret, 59 // 30) == "287082"


# --- enrolment ---------------------------------------------------------------------------------


def test_status_needs_authentication_and_refuses_api_keys(api_client, user, make_api_key):
    assert_error(api_client.get("/api/auth/mfa"), 401, "not_authenticated")
    _, raw = make_api_key(user=user, permissions=["profile:read"])
    r = api_client.get("/api/auth/mfa", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert_error(r, 403, "permission_denied")
    r = api_client.post("/api/auth/mfa/totp", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert_error(r, 403, "permission_denied")
    assert not TotpPendingSecret.objects.exists()


def test_enrol_confirm_and_status(user):
    client = auth_client(user)
    assert client.get("/api/auth/mfa").json() == {"totp": False, "recovery_codes_left": 0}
    r = client.post("/api/auth/mfa/totp")
    assert r.status_code == 200, r.content
    assert r["Cache-Control"] == "no-store"
    body = r.json()
    assert set(body) == {"secret", "otpauth_uri"}
    secret = body["secret"]
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in body["otpauth_uri"] and "issuer=Huntaze" in body["otpauth_uri"]
    # Not active until confirmed: sign-in still answers tokens.
    assert client.get("/api/auth/mfa").json()["totp"] is False
    assert "access" in _signin(client, user).json()

    step = current_step()
    wrong = str((int(totp(secret, step)) + 1) % 1000000).zfill(6)
    err = assert_error(
        client.post("/api/auth/mfa/totp/confirm", {"code": wrong}, format="json"),
        400,
        "validation_error",
    )
    assert set(err["fields"]) == {"code"}
    r = client.post("/api/auth/mfa/totp/confirm", {"code": totp(secret, step)}, format="json")
    assert r.status_code == 200, r.content
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 8 and c.isdigit() for c in codes)
    assert client.get("/api/auth/mfa").json() == {"totp": True, "recovery_codes_left": 10}
    assert not TotpPendingSecret.objects.filter(user=user).exists()
    # allauth's authenticator holds the secret; a second set-up is a conflict.
    assert Authenticator.objects.filter(user=user, type="totp").count() == 1
    assert_error(client.post("/api/auth/mfa/totp"), 409, "conflict")


def test_confirm_without_a_setup_is_400_on_code(user):
    r = auth_client(user).post("/api/auth/mfa/totp/confirm", {"code": "123456"}, format="json")
    assert set(assert_error(r, 400, "validation_error")["fields"]) == {"code"}
    assert not Authenticator.objects.exists()


def test_a_new_setup_replaces_the_unconfirmed_secret(user):
    client = auth_client(user)
    first = client.post("/api/auth/mfa/totp").json()["secret"]
    second = client.post("/api/auth/mfa/totp").json()["secret"]
    assert first != second
    r = client.post(
        "/api/auth/mfa/totp/confirm", {"code": totp(first, current_step())}, format="json"
    )
    assert_error(r, 400, "validation_error")
    r = client.post(
        "/api/auth/mfa/totp/confirm", {"code": totp(second, current_step())}, format="json"
    )
    assert r.status_code == 200


# --- sign-in ----------------------------------------------------------------------------------


def test_signin_without_mfa_is_unchanged(api_client, user):
    r = _signin(api_client, user)
    assert r.status_code == 200
    assert set(r.json()) == {"user", "access", "refresh"}
    assert r.cookies["access_token"].value == r.json()["access"]


def test_signin_with_totp_answers_a_challenge_without_tokens_then_verify_signs_in(api_client, user):
    secret, _codes = enable_totp(user)
    r = _signin(api_client, user)
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"mfa_required", "mfa_token", "methods"}
    assert body["mfa_required"] is True
    assert body["methods"] == ["totp", "recovery_code"]
    assert "access_token" not in r.cookies and "refresh_token" not in r.cookies
    assert not RefreshToken.objects.filter(user=user).exists()
    assert r["Cache-Control"] == "no-store"
    challenge = MfaChallenge.objects.get(user=user)
    assert challenge.token_hash != body["mfa_token"]  # stored as a digest only
    assert challenge.expires_at - challenge.created_at == timedelta(minutes=5)

    r = _verify(api_client, body["mfa_token"], totp(secret, current_step()))
    assert r.status_code == 200, r.content
    data = r.json()
    assert set(data) == {"user", "access", "refresh"}
    assert data["user"]["id"] == str(user.pk)
    assert r.cookies["access_token"].value == data["access"]
    assert r.cookies["refresh_token"].value == data["refresh"]
    me = api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert me.status_code == 200
    # Refresh works as before.
    r = api_client.post("/api/auth/refresh", {"refresh": data["refresh"]}, format="json")
    assert r.status_code == 200
    user.refresh_from_db()
    assert user.last_login is not None
    # The challenge is spent.
    assert_error(
        _verify(api_client, body["mfa_token"], totp(secret, current_step() + 1)),
        401,
        "invalid_credentials",
    )


def test_a_wrong_password_answers_exactly_as_without_mfa(api_client, make_user):
    with_mfa = make_user(email="two@example.test")
    enable_totp(with_mfa)
    without = make_user(email="one@example.test")
    a = _signin(api_client, with_mfa, password="wrong-password-1")
    b = _signin(api_client, without, password="wrong-password-1")
    assert_error(a, 401, "invalid_credentials")
    assert (a.status_code, a.content) == (b.status_code, b.content)
    assert set(a.cookies) == set(b.cookies)
    assert not MfaChallenge.objects.exists()


def test_a_totp_code_is_accepted_once(api_client, user):
    secret, _ = enable_totp(user)
    code = totp(secret, current_step())
    assert _verify(api_client, _challenge(api_client, user), code).status_code == 200
    # The same code on a new challenge (a replay) is refused.
    assert_error(
        _verify(api_client, _challenge(api_client, user), code), 401, "invalid_credentials"
    )


def test_window_edges_and_no_older_step_after_a_newer_one(api_client, user, roomy_code_limit):
    secret, _ = enable_totp(user)
    step = current_step()
    token = _challenge(api_client, user)
    # Two steps away either side: outside the one-step tolerance.
    assert_error(_verify(api_client, token, totp(secret, step + 2)), 401, "invalid_credentials")
    assert_error(_verify(api_client, token, totp(secret, step - 2)), 401, "invalid_credentials")
    # The next step (a phone clock 30 s ahead) is accepted …
    assert _verify(api_client, token, totp(secret, step + 1)).status_code == 200
    # … and then the current one, older, no longer is.
    r = _verify(api_client, _challenge(api_client, user), totp(secret, step))
    assert_error(r, 401, "invalid_credentials")


def test_the_previous_step_is_accepted(api_client, user):
    secret, _ = enable_totp(user)
    # As if the set-up had been confirmed long ago.
    totp_row = Authenticator.objects.get(user=user, type="totp")
    totp_row.data["last_step"] = 0
    totp_row.save()
    step = current_step()
    assert (
        _verify(api_client, _challenge(api_client, user), totp(secret, step - 1)).status_code == 200
    )


def test_recovery_codes_are_single_use(api_client, user):
    _, codes = enable_totp(user)
    assert _verify(api_client, _challenge(api_client, user), codes[3]).status_code == 200
    assert_error(
        _verify(api_client, _challenge(api_client, user), codes[3]), 401, "invalid_credentials"
    )
    # Spaces and dashes typed by the user are ignored.
    spaced = f"{codes[4][:4]}-{codes[4][4:]}"
    assert _verify(api_client, _challenge(api_client, user), spaced).status_code == 200
    status = auth_client(user).get("/api/auth/mfa").json()
    assert status == {"totp": True, "recovery_codes_left": 8}


def test_a_challenge_lives_five_minutes(api_client, user):
    secret, _ = enable_totp(user)
    token = _challenge(api_client, user)
    MfaChallenge.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(
        _verify(api_client, token, totp(secret, current_step())), 401, "invalid_credentials"
    )


def test_a_challenge_dies_after_five_wrong_codes(api_client, user, roomy_code_limit):
    secret, _ = enable_totp(user)
    token = _challenge(api_client, user)
    step = current_step()
    for _ in range(5):
        assert_error(
            _verify(api_client, token, "000000" if totp(secret, step) != "000000" else "111111"),
            401,
            "invalid_credentials",
        )
    assert MfaChallenge.objects.get(user=user).attempts == 5
    assert_error(_verify(api_client, token, totp(secret, step)), 401, "invalid_credentials")
    # A new sign-in opens a new challenge that works.
    assert _verify(api_client, _challenge(api_client, user), totp(secret, step)).status_code == 200


def test_wrong_codes_are_rate_limited_per_user_across_challenges(api_client, user):
    secret, _ = enable_totp(user)
    step = current_step()
    wrong = "000000" if totp(secret, step) != "000000" else "111111"
    for _ in range(3):
        assert_error(
            _verify(api_client, _challenge(api_client, user), wrong), 401, "invalid_credentials"
        )
    token = _challenge(api_client, user)
    for _ in range(2):
        assert_error(_verify(api_client, token, wrong), 401, "invalid_credentials")
    # Five wrong codes over three challenges: even the right code now waits.
    r = _verify(api_client, _challenge(api_client, user), totp(secret, step))
    assert_error(r, 429, "throttled")
    assert int(r["Retry-After"]) > 0
    # The authenticated endpoints count in the same bucket.
    r = auth_client(user).delete("/api/auth/mfa/totp", {"code": totp(secret, step)}, format="json")
    assert_error(r, 429, "throttled")
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_verify_input_errors(api_client):
    err = assert_error(api_client.post(VERIFY, {}, format="json"), 400, "validation_error")
    assert set(err["fields"]) == {"mfa_token", "code"}
    r = api_client.post(VERIFY, {"mfa_token": 5, "code": 123456}, format="json")
    assert_error(r, 400, "validation_error")
    assert_error(_verify(api_client, "mfa_unknown", "123456"), 401, "invalid_credentials")
    assert_error(_verify(api_client, "not-a-token", "123456"), 401, "invalid_credentials")


def test_a_deactivated_user_cannot_finish_signing_in(api_client, user):
    secret, _ = enable_totp(user)
    token = _challenge(api_client, user)
    user.is_active = False
    user.save()
    assert_error(
        _verify(api_client, token, totp(secret, current_step())), 401, "invalid_credentials"
    )


# --- turning off, renewing --------------------------------------------------------------------


def test_turn_off_needs_a_current_code(api_client, user):
    secret, codes = enable_totp(user)
    client = auth_client(user)
    r = client.delete("/api/auth/mfa/totp", {"code": "12"}, format="json")
    assert set(assert_error(r, 400, "validation_error")["fields"]) == {"code"}
    r = client.delete("/api/auth/mfa/totp", {}, format="json")
    assert_error(r, 400, "validation_error")
    r = client.delete("/api/auth/mfa/totp", {"code": totp(secret, current_step())}, format="json")
    assert r.status_code == 204, r.content
    assert not Authenticator.objects.filter(user=user).exists()
    assert client.get("/api/auth/mfa").json() == {"totp": False, "recovery_codes_left": 0}
    assert set(_signin(api_client, user).json()) == {"user", "access", "refresh"}
    # Off already: 400 on code.
    r = client.delete("/api/auth/mfa/totp", {"code": codes[0]}, format="json")
    assert_error(r, 400, "validation_error")


def test_turn_off_with_a_recovery_code(user):
    _, codes = enable_totp(user)
    r = auth_client(user).delete("/api/auth/mfa/totp", {"code": codes[0]}, format="json")
    assert r.status_code == 204
    assert not Authenticator.objects.filter(user=user).exists()


def test_renew_recovery_codes_voids_the_old_ones(api_client, user):
    secret, old = enable_totp(user)
    client = auth_client(user)
    r = client.post("/api/auth/mfa/recovery-codes", {"code": "99999999"}, format="json")
    assert_error(r, 400, "validation_error")
    r = client.post(
        "/api/auth/mfa/recovery-codes", {"code": totp(secret, current_step())}, format="json"
    )
    assert r.status_code == 200, r.content
    new = r.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert_error(
        _verify(api_client, _challenge(api_client, user), old[0]), 401, "invalid_credentials"
    )
    assert _verify(api_client, _challenge(api_client, user), new[0]).status_code == 200


def test_renew_recovery_codes_without_totp_is_400(user):
    r = auth_client(user).post("/api/auth/mfa/recovery-codes", {"code": "123456"}, format="json")
    assert set(assert_error(r, 400, "validation_error")["fields"]) == {"code"}


@pytest.mark.django_db(transaction=True)
def test_one_totp_code_sent_twice_at_once_signs_in_once(user):
    from rest_framework.test import APIClient

    from tests.concurrency import run_concurrently

    secret, _ = enable_totp(user)
    tokens = [_challenge(APIClient(), user) for _ in range(2)]
    code = totp(secret, current_step())
    statuses = run_concurrently(
        lambda token: _verify(APIClient(), token, code).status_code, args=[(t,) for t in tokens]
    )
    assert sorted(statuses) == [200, 401]


def test_expired_challenges_are_purged(api_client, user):
    from accounts.services.mfa import mfa_challenges_purge

    enable_totp(user)
    _challenge(api_client, user)
    _challenge(api_client, user)
    MfaChallenge.objects.filter(pk=MfaChallenge.objects.first().pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert mfa_challenges_purge() == 1
    assert MfaChallenge.objects.count() == 1


def test_no_code_secret_or_challenge_in_the_logs(api_client, user, caplog):
    import logging

    for name in ("", "django", "accounts", "allauth", "huntaze"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = auth_client(user)
    secret = client.post("/api/auth/mfa/totp").json()["secret"]
    first = totp(secret, current_step())
    codes = client.post("/api/auth/mfa/totp/confirm", {"code": first}, format="json").json()[
        "recovery_codes"
    ]
    token = _challenge(api_client, user)
    assert _verify(api_client, token, codes[0]).status_code == 200
    _verify(api_client, _challenge(api_client, user), "000000")
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "turned two-factor on" in logged  # the log line exists …
    for value in (secret, first, token, *codes):
        assert value not in logged  # … without any secret


def test_secrets_are_encrypted_at_rest_and_keys_rotate(api_client, user, settings):
    from django.core.exceptions import ImproperlyConfigured

    from accounts.services.mfa import totp_setup_begin

    settings.MFA_ENCRYPTION_KEYS = ["old-key"]
    pending = totp_setup_begin(user=user)
    assert pending.secret not in TotpPendingSecret.objects.get(user=user).secret
    secret, codes = enable_totp(user)
    rows = {a.type: a.data for a in Authenticator.objects.filter(user=user)}
    assert secret not in str(rows["totp"])
    assert not any(code in str(rows["recovery_codes"]) for code in codes)
    # A new key first, the old one kept: the stored secret still works.
    settings.MFA_ENCRYPTION_KEYS = ["new-key", "old-key"]
    token = _challenge(api_client, user)
    assert _verify(api_client, token, totp(secret, current_step())).status_code == 200
    # The old key dropped: a clear configuration error, not a silent refusal.
    settings.MFA_ENCRYPTION_KEYS = ["new-key"]
    with pytest.raises(ImproperlyConfigured):
        from accounts.services.mfa import mfa_status

        mfa_status(user=user)
