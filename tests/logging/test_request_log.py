"""One JSON line per request, with the request id echoed as X-Request-Id (docs/api.md, Configuration)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.http import HttpResponse

from accounts.services.tokens import access_token_issue

pytestmark = pytest.mark.django_db

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_one_line_per_request_with_every_field(api_client, user, json_logs):
    token = access_token_issue(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get("/api/auth/me?access_token=leaky-query-value-123")

    lines = json_logs.by_logger("huntaze.request")
    assert len(lines) == 1
    line = lines[0]
    assert {
        "time",
        "level",
        "request_id",
        "user_id",
        "method",
        "path",
        "status",
        "duration_ms",
    } <= set(line)
    assert line["method"] == "GET"
    assert line["path"] == "/api/auth/me"  # no query string
    assert line["status"] == response.status_code
    assert line["user_id"] == str(user.pk)
    assert line["level"] == ("INFO" if response.status_code < 400 else "WARNING")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert UUID.match(line["request_id"])
    assert response["X-Request-Id"] == line["request_id"]
    assert token not in json_logs.text
    assert "leaky-query-value-123" not in json_logs.text
    assert "Bearer" not in json_logs.text


def test_anonymous_request_has_no_user_and_a_warning_level(api_client, json_logs):
    response = api_client.get("/api/auth/me")
    assert response.status_code == 401
    (line,) = json_logs.by_logger("huntaze.request")
    assert line["user_id"] is None
    assert line["status"] == 401
    assert line["level"] == "WARNING"


def test_a_sane_incoming_request_id_is_kept(api_client, json_logs):
    incoming = "lb-" + uuid.uuid4().hex[:20] + ":1.2"
    response = api_client.get("/api/nothing-here", HTTP_X_REQUEST_ID=incoming)
    assert response.status_code == 404
    assert response["X-Request-Id"] == incoming
    (line,) = json_logs.by_logger("huntaze.request")
    assert line["request_id"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["", "x" * 129, "has space", "new\nline", '"}{"injected": 1', "é-unicode", "-leading-dash"],
)
def test_an_insane_incoming_request_id_is_replaced(api_client, json_logs, incoming):
    response = api_client.get("/api/nothing-here", HTTP_X_REQUEST_ID=incoming)
    assert UUID.match(response["X-Request-Id"])
    (line,) = json_logs.by_logger("huntaze.request")
    assert line["request_id"] == response["X-Request-Id"]


def test_reading_the_user_adds_no_query_for_an_anonymous_request(
    api_client, json_logs, django_assert_num_queries
):
    # A session cookie makes an evaluated request.user read django_session: the middleware must
    # not evaluate a user that nobody asked for.
    api_client.cookies["sessionid"] = "no-such-session-0123456789"
    with django_assert_num_queries(0):
        response = api_client.get("/api/nothing-here")
    assert response.status_code == 404
    (line,) = json_logs.by_logger("huntaze.request")
    assert line["user_id"] is None


def test_health_probes_are_not_logged(api_client, json_logs):
    assert api_client.get("/api/health/live").status_code == 200
    assert json_logs.by_logger("huntaze.request") == []


def test_other_records_written_during_a_request_carry_its_request_id(
    api_client, json_logs, settings, user
):
    # A webhook with a bad signature: a 400, and billing logs why (huntaze.billing).
    settings.STRIPE_WEBHOOK_SECRET = "whsec_request_log_test"
    response = api_client.post(
        "/api/billing/webhook",
        data=b'{"id": "evt_1"}',
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=bad",
        HTTP_X_REQUEST_ID="req-abc-123",
    )
    assert response.status_code == 400
    lines = json_logs.lines()
    request_line = json_logs.by_logger("huntaze.request")[0]
    assert request_line["status"] == 400
    others = [line for line in lines if line["logger"] != "huntaze.request"]
    assert any(line["logger"] == "huntaze.billing" for line in others)
    assert all(line.get("request_id") == "req-abc-123" for line in others)
    assert user.email not in json.dumps(lines)


def test_no_credential_in_any_record(api_client, user, json_logs, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    token = access_token_issue(user=user)
    api_client.cookies["access_token"] = token
    api_client.get(
        "/api/auth/me",
        HTTP_AUTHORIZATION="Api-Key hz_live_notarealkey0123456789",
        HTTP_COOKIE=f"access_token={token}",
    )
    api_client.post(
        "/api/nothing-here?token=qs-token-value-0001",
        {"password": "Pl41n-Passw0rd!"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert json_logs.by_logger("huntaze.request")
    for text in (json_logs.text, caplog.text):
        for secret in (
            token,
            "hz_live_notarealkey0123456789",
            "qs-token-value-0001",
            "Pl41n-Passw0rd!",
        ):
            assert secret not in text


def test_a_logger_level_above_the_line_writes_nothing(api_client, json_logs):
    import logging

    request_logger = logging.getLogger("huntaze.request")
    previous = request_logger.level
    request_logger.setLevel(logging.ERROR)
    try:
        response = api_client.get("/api/nothing-here", HTTP_X_REQUEST_ID="req-filtered-1")
    finally:
        request_logger.setLevel(previous)
    assert response.status_code == 404
    assert response["X-Request-Id"] == "req-filtered-1"  # the id is still echoed
    assert json_logs.by_logger("huntaze.request") == []


def test_a_503_writes_one_error_line(client_for_user, json_logs, settings):
    """One line per event: the request line says it all (huntaze.request, with its request id);
    Django's own "Service Unavailable: /api/…" line (django.request, without the id) is not
    written again. Stripe without keys is a real 503."""
    settings.STRIPE_SECRET_KEY = ""
    response = client_for_user.post(
        "/api/billing/checkout", {"plan": "PRO", "interval": "month"}, format="json"
    )
    assert response.status_code == 503
    errors = [line for line in json_logs.lines() if line["level"] == "ERROR"]
    assert [line["logger"] for line in errors] == ["huntaze.request"], errors
    assert errors[0]["status"] == 503 and errors[0]["request_id"] == response["X-Request-Id"]


def test_an_uncaught_exception_keeps_its_traceback(json_logs):
    """What django.request still writes: the traceback of an exception nothing handled (a 500
    outside the API), a different event from the request line."""
    from django.test import RequestFactory
    from django.utils.log import log_response

    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        log_response(
            "Internal Server Error: %s",
            "/admin/x/",
            response=HttpResponse(status=500),
            request=RequestFactory().get("/admin/x/"),
            exception=exc,
        )
    (line,) = json_logs.by_logger("django.request")
    assert line["exc_type"] == "RuntimeError" and "boom" in line["traceback"]
