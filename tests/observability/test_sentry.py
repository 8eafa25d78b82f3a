"""Error reports (huntaze/sentry.py): the real sentry_sdk client and transport against a local
stand-in of Sentry's ingestion endpoint."""

from __future__ import annotations

import json

import pytest
import sentry_sdk
from django.test import Client

from huntaze.sentry import sentry_flush, sentry_init
from tests.observability.sentry_standin import SentryStandIn
from tests.observability.urls_boom import LEAKS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.observability.urls_boom")]

REFRESH = "r3fr3sh-opaque-Zq8XvT1mN0pL4kJ7hG2f"
COOKIE = "s3ss10n-c00kie-value-9f8e7d6c5b4a"
QUERY_TOKEN = "qu3ry-t0ken-AbCdEf123456"


@pytest.fixture
def sentry():
    standin = SentryStandIn()
    sentry_init(
        dsn=standin.dsn, environment="test", release="huntaze@1.2.3", traces_sample_rate=0.0
    )
    yield standin
    sentry_sdk.init()  # no DSN: the client stops sending
    standin.stop()


def _post(path: str):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = COOKIE
    return client.post(
        f"{path}?token={QUERY_TOKEN}",
        data=json.dumps({"password": LEAKS["password"], "refresh": REFRESH}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {LEAKS['bearer']}",
        HTTP_X_REQUEST_ID="req-sentry-0042",
        HTTP_STRIPE_SIGNATURE="t=1,v1=deadbeefdeadbeefdeadbeef",
    )


def _assert_clean(raw: bytes) -> None:
    text = raw.decode("utf-8", "replace")
    for secret in (
        *LEAKS.values(),
        REFRESH,
        COOKIE,
        QUERY_TOKEN,
        "deadbeefdeadbeef",
        "0123456789abcdef0123456789abcdef",  # the DSN's key
    ):
        assert secret not in text, secret
    assert "sessionid" not in text.lower()


@pytest.mark.parametrize("path", ["/api/boom", "/boom-plain"])
def test_an_unhandled_error_arrives_once_with_its_request_id_and_no_secret(sentry, path):
    response = _post(path)
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "Erreur interne."}}
    assert response["X-Request-Id"] == "req-sentry-0042"
    sentry_flush()

    events = sentry.events()
    assert len(events) == 1, [e.get("logentry") for e in events]
    event = events[0]
    assert event["tags"]["request_id"] == "req-sentry-0042"
    assert event["environment"] == "test" and event["release"] == "huntaze@1.2.3"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    # In-process there is no WSGI environ (method, URL, headers: test_sentry_gunicorn.py).
    assert "data" not in event.get("request", {}) and "cookies" not in event.get("request", {})
    assert "user" not in event
    assert sentry.paths == ["/api/42/envelope/"]
    _assert_clean(sentry.raw())


def test_handled_errors_and_4xx_send_nothing(sentry, client_for_user):
    assert client_for_user.get("/api/content/not-an-id").status_code == 404
    assert client_for_user.post("/api/content", {}, format="json").status_code == 400
    sentry_flush()
    assert sentry.events(timeout=0.5) == []
