"""Password change, reset and confirm (docs/api.md, Auth), and refusal of older access tokens."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import ApiKey, RefreshToken, User
from accounts.services.tokens import issued_at_us
from jobs.models import OutboundEmail
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD
from tests.queue import run_jobs

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Passw0rd!"


def signin(client, email, password=DEFAULT_PASSWORD):
    r = client.post("/api/auth/signin", {"email": email, "password": password}, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def me(client, access):
    return client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")


@pytest.fixture
def sam(make_user):
    return make_user(email="sam@example.test")


# --- change ----------------------------------------------------------------------------------


def test_password_change_revokes_refresh_tokens_and_older_access_tokens(api_client, sam):
    first = signin(api_client, sam.email)
    second = signin(api_client, sam.email)
    r = api_client.post(
        "/api/auth/password/change",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {first['access']}",
    )
    assert r.status_code == 204, r.content
    assert r["Cache-Control"] == "no-store"
    sam.refresh_from_db()
    assert sam.check_password(NEW_PASSWORD)
    assert not RefreshToken.objects.filter(user=sam, revoked_at__isnull=True).exists()
    # Issued (most likely in the same second) before the change: refused.
    assert_error(me(api_client, first["access"]), 401, "token_invalid")
    assert_error(me(api_client, second["access"]), 401, "token_invalid")
    for token in (first["refresh"], second["refresh"]):
        r = api_client.post("/api/auth/refresh", {"refresh": token}, format="json")
        assert_error(r, 401, "token_invalid")
    # A sign-in right after the change works at once.
    fresh = signin(api_client, sam.email, NEW_PASSWORD)
    assert me(api_client, fresh["access"]).status_code == 200
    assert_error(
        api_client.post(
            "/api/auth/signin", {"email": sam.email, "password": DEFAULT_PASSWORD}, format="json"
        ),
        401,
        "invalid_credentials",
    )


def _token(user, when: datetime, iat_us: int) -> str:
    claims = {
        "sub": str(user.pk),
        "jti": uuid.uuid4().hex,
        "iat": int(when.timestamp()),
        "exp": int((when + timedelta(minutes=15)).timestamp()),
        "type": "access",
        "iat_us": iat_us,
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS256")


def test_password_change_cutoff_has_sub_second_resolution(api_client, sam):
    changed = timezone.now().replace(microsecond=500_000)
    User.objects.filter(pk=sam.pk).update(password_changed_at=changed)
    cut = issued_at_us(changed)
    before = _token(sam, changed, cut - 1)  # same second, a microsecond earlier
    after = _token(sam, changed, cut + 1)  # same second, a microsecond later
    assert_error(me(api_client, before), 401, "token_invalid")
    assert me(api_client, after).status_code == 200
    # Without iat_us a token counts from the start of its second: refused.
    legacy = jwt.encode(
        {
            "sub": str(sam.pk),
            "jti": "j",
            "iat": int(changed.timestamp()),
            "exp": int(changed.timestamp()) + 600,
            "type": "access",
        },
        settings.JWT_SIGNING_KEY,
        algorithm="HS256",
    )
    assert_error(me(api_client, legacy), 401, "token_invalid")


def test_password_change_wrong_current_password_is_400(api_client, sam, auth_client):
    r = auth_client(sam).post(
        "/api/auth/password/change",
        {"current_password": "not-it-at-all", "new_password": NEW_PASSWORD},
        format="json",
    )
    err = assert_error(r, 400, "validation_error")
    assert "current_password" in err["fields"]
    sam.refresh_from_db()
    assert sam.check_password(DEFAULT_PASSWORD)


def test_password_change_weak_new_password_is_400(api_client, sam, auth_client):
    r = auth_client(sam).post(
        "/api/auth/password/change",
        {"current_password": DEFAULT_PASSWORD, "new_password": "1234"},
        format="json",
    )
    err = assert_error(r, 400, "validation_error")
    assert "new_password" in err["fields"]


def test_password_change_needs_authentication(api_client):
    r = api_client.post(
        "/api/auth/password/change",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert_error(r, 401, "not_authenticated")


def test_password_change_refuses_api_keys(api_client, sam):
    raw = "hz_test_" + uuid.uuid4().hex
    ApiKey.objects.create(
        user=sam,
        name="k",
        prefix=raw[:12],
        key_hash=hashlib.sha256(raw.encode()).hexdigest(),
        permissions=["profile:read", "content:read", "content:write", "billing:read"],
    )
    r = api_client.post(
        "/api/auth/password/change",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert_error(r, 403, "permission_denied")
    # ... while /me accepts a key with profile:read.
    assert api_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200


# --- reset -----------------------------------------------------------------------------------


def reset(client, email):
    """The reset request, then the jobs it queued (the worker's part: the email, if any)."""
    response = client.post("/api/auth/password/reset", {"email": email}, format="json")
    run_jobs()
    return response


def token_from_mail(message) -> str:
    url = re.search(r"https?://\S+/reset-password\?token=\S+", message.body).group(0)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == settings.FRONTEND_URL
    return parse_qs(parts.query)["token"][0]


def confirm(client, token, password=NEW_PASSWORD):
    return client.post(
        "/api/auth/password/reset/confirm",
        {"token": token, "new_password": password},
        format="json",
    )


def test_password_reset_is_202_whether_or_not_the_email_exists(api_client, sam, make_user):
    gone = make_user(email="gone@example.test")
    User.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    unknown, known, deleted = (
        reset(api_client, "nobody@example.test"),
        reset(api_client, "SAM@example.test"),
        reset(api_client, "gone@example.test"),
    )
    assert unknown.status_code == known.status_code == deleted.status_code == 202
    assert unknown.content == known.content == deleted.content
    assert [m.to for m in mail.outbox] == [["sam@example.test"]]


def _reset_statements(client, email: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/auth/password/reset", {"email": email}, format="json")
    assert response.status_code == 202
    # The statements without their values (the rate limiter's counters differ by one).
    return [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in queries.captured_queries]


def test_password_reset_does_the_same_work_for_a_member_and_a_stranger(api_client, sam):
    """The request's time cannot tell a member: it runs the same statements for any address —
    no lookup of the account, one stored request and one job — and the worker alone finds the
    account (the answer comes before any mail server is contacted)."""
    api_client.post("/api/auth/password/reset", {"email": "warm@example.test"}, format="json")
    member = _reset_statements(api_client, "SAM@example.test")
    stranger = _reset_statements(api_client, "nobody@example.test")
    assert member == stranger
    assert not any("accounts_user" in sql or "account_emailaddress" in sql for sql in member)
    assert sum("procrastinate_defer_jobs" in sql for sql in member) == 1
    assert mail.outbox == []
    jobs = ProcrastinateJob.objects.filter(task_name="accounts.send_password_reset")
    assert jobs.count() == 3 and all(set(job.args) == {"email_id"} for job in jobs)
    run_jobs()
    assert [m.to for m in mail.outbox] == [["sam@example.test"]]
    assert not OutboundEmail.objects.exists()  # the stored requests (and the link) are gone


def test_password_reset_full_flow(api_client, sam):
    old = signin(api_client, sam.email)
    assert reset(api_client, sam.email).status_code == 202
    token = token_from_mail(mail.outbox[0])
    assert sam.email not in token
    r = confirm(api_client, token)
    assert r.status_code == 204, r.content
    sam.refresh_from_db()
    assert sam.check_password(NEW_PASSWORD)
    assert not RefreshToken.objects.filter(user=sam, revoked_at__isnull=True).exists()
    assert_error(me(api_client, old["access"]), 401, "token_invalid")
    # The sign-in right after the reset works at once.
    fresh = signin(api_client, sam.email, NEW_PASSWORD)
    assert me(api_client, fresh["access"]).status_code == 200
    # The key is single use.
    err = assert_error(confirm(api_client, token, "Another-Passw0rd!"), 400, "validation_error")
    assert "token" in err["fields"]
    sam.refresh_from_db()
    assert sam.check_password(NEW_PASSWORD)


def test_password_reset_confirm_runs_password_validators(api_client, sam):
    reset(api_client, sam.email)
    token = token_from_mail(mail.outbox[0])
    err = assert_error(confirm(api_client, token, "password"), 400, "validation_error")
    assert "new_password" in err["fields"]
    # The token was not spent by the failed attempt.
    assert confirm(api_client, token).status_code == 204


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "0" * 32 + "-abc-def",
        uuid.uuid4().hex + "-cz1234-0123456789abcdef0123",
        "a-b-c",
    ],
)
def test_password_reset_confirm_bad_token_is_400(api_client, sam, token):
    r = confirm(api_client, token)
    err = assert_error(r, 400, "validation_error")
    assert "token" in err["fields"]


def test_password_reset_confirm_token_of_another_user_does_not_work(api_client, sam, make_user):
    other = make_user(email="other@example.test")
    reset(api_client, sam.email)
    token = token_from_mail(mail.outbox[0])
    forged = other.pk.hex + token[32:]
    assert_error(confirm(api_client, forged), 400, "validation_error")
    other.refresh_from_db()
    assert other.check_password(DEFAULT_PASSWORD)


def test_password_reset_missing_email_is_400(api_client):
    assert_error(
        api_client.post("/api/auth/password/reset", {}, format="json"), 400, "validation_error"
    )


def test_issued_at_us_is_exact():
    moment = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert issued_at_us(moment) == 1704164645678901


def test_password_reset_email_speaks_of_huntaze_not_the_request_host(api_client, sam, settings):
    settings.FRONTEND_URL = "https://app.huntaze.com"
    assert reset(api_client, sam.email).status_code == 202
    message = mail.outbox[0]
    assert message.subject.startswith("[Huntaze] ")
    assert "testserver" not in message.subject + message.body
    assert "https://app.huntaze.com/reset-password?token=" in message.body
