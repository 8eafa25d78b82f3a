"""The scrub filter: no Authorization, cookie, password, token, key, invite code or secret value
reaches the JSON log lines, wherever it would appear (docs/api.md, Configuration)."""

from __future__ import annotations

import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.log import log_response

from huntaze.logging import register_secret_value, scrub

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
STRIPE_KEY = "sk_live_51HxAbCdEfGhIjKlMnOp"
WEBHOOK = "whsec_AbCdEfGhIjKlMnOpQrSt"
AZURE_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # no recognisable shape: caught by value
API_KEY = "hz_live_Zq9Xw8Vu7Ts6Rq5Po4"
INVITE = "0F1E2D3C4B5A6978"
PASSWORD = "Correct-Horse-Battery-9"
SECRETS = [JWT, STRIPE_KEY, WEBHOOK, AZURE_KEY, API_KEY, INVITE, PASSWORD]

log = logging.getLogger("huntaze.tests")


@pytest.fixture(autouse=True)
def _known_azure_key():
    register_secret_value(AZURE_KEY)


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    assert "[REDACTED" in text


def test_message_and_arguments(json_logs):
    log.warning("Authorization: Bearer %s", JWT)
    log.warning("calling stripe with %s and %s", STRIPE_KEY, WEBHOOK)
    log.warning("azure key=%s", AZURE_KEY)
    log.warning("header X-Api-Key: %s / Api-Key %s", API_KEY, API_KEY)
    log.warning("redeemed invite %s for %s", INVITE, "a@example.test")
    log.warning('body {"email": "a@example.test", "password": "%s"}', PASSWORD)
    log.warning("GET /api/x?refresh_token=%s&page=2", JWT)
    log.warning("Cookie: access_token=%s; sessionid=abcdef0123456789zz", JWT)
    text = json_logs.text
    _assert_clean(text)
    assert "a@example.test" in text  # not over-eager: the rest of the message survives
    assert "page=2" in text
    assert len(json_logs.lines()) == 8


def test_extra_fields_nested(json_logs):
    log.warning(
        "outbound call",
        extra={
            "headers": {"Authorization": f"Bearer {JWT}", "Content-Type": "application/json"},
            "payload": {"user": {"password": PASSWORD, "new_password": PASSWORD}, "n": 3},
            "invite_code": INVITE,
            "api_key": API_KEY,
            "cookies": [f"access_token={JWT}"],
            "note": f"key is {STRIPE_KEY}",
            "status_code": 502,
            "secret_id": "huntaze/stripe",
        },
    )
    (line,) = json_logs.lines()
    _assert_clean(json_logs.text)
    assert line["headers"]["Content-Type"] == "application/json"
    assert line["payload"]["n"] == 3
    assert line["status_code"] == 502
    assert line["secret_id"] == "huntaze/stripe"


def test_exception_text(json_logs):
    try:
        raise ValueError(f"stripe refused {STRIPE_KEY} for token {JWT} and {AZURE_KEY}")
    except ValueError:
        log.exception("payment failed")
    (line,) = json_logs.lines()
    assert line["exc_type"] == "ValueError"
    assert "Traceback" in line["traceback"]
    _assert_clean(json_logs.text)


def test_database_url_password(json_logs):
    log.error("cannot connect to postgres://huntaze:%s@db.internal:5432/huntaze", PASSWORD)
    assert "db.internal" in json_logs.text
    _assert_clean(json_logs.text)


def test_django_request_errors_carry_no_headers_body_or_query(json_logs):
    request = RequestFactory().post(
        f"/api/auth/signin?token={JWT}",
        data={"email": "a@example.test", "password": PASSWORD},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {API_KEY}",
        HTTP_COOKIE=f"access_token={JWT}; refresh_token={JWT}",
    )
    try:  # what django.request still writes: an uncaught exception's traceback
        raise RuntimeError("view failed")
    except RuntimeError as exc:
        log_response(
            "Internal Server Error: %s",
            request.path,
            response=HttpResponse(status=500),
            request=request,
            exception=exc,
        )
    (line,) = json_logs.by_logger("django.request")
    assert line["status_code"] == 500
    assert line["message"] == "Internal Server Error: /api/auth/signin"
    assert "request" not in line
    for secret in SECRETS:
        assert secret not in json_logs.text
    assert "a@example.test" not in json_logs.text  # the body is not dumped either


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status_code=400", "status_code=400"),
        ('{"code": "validation_error"}', '{"code": "validation_error"}'),
        ("tokens used: 42", "tokens used: 42"),
        ("secret_id=huntaze/azure", "secret_id=huntaze/azure"),
        ("/accounts/password/reset/key/3-abc-def123/", "/accounts/password/reset/key/[REDACTED]/"),
        ("code=ABCDEF0123456789", "code=[REDACTED-CODE]"),
        ("refresh_token=abc123&x=1", "refresh_token=[REDACTED]&x=1"),
    ],
)
def test_scrub_keeps_what_is_harmless(text, expected):
    assert scrub(text) == expected
