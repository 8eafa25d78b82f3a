from __future__ import annotations

import time

from tests.conftest import assert_error
from tests.factories import scoped_key_client

URL = "/api/billing/portal"


def _with_customer(stripe_standin, user, client):
    assert (
        client.post(
            "/api/billing/checkout", {"plan": "PRO", "interval": "month"}, format="json"
        ).status_code
        == 200
    )
    user.refresh_from_db()
    assert user.stripe_customer_id
    return user.stripe_customer_id


def test_portal_returns_the_session_url(stripe_standin, user, client_for_user, settings):
    customer_id = _with_customer(stripe_standin, user, client_for_user)

    response = client_for_user.post(URL)

    assert response.status_code == 200, response.content
    session = next(iter(stripe_standin.portal_sessions.values()))
    assert response.json() == {"url": session["url"]}
    assert session["customer"] == customer_id
    assert session["return_url"] == f"{settings.FRONTEND_URL}/billing"
    assert stripe_standin.requests_to("/v1/billing_portal/sessions")[0]["idempotency_key"]


def test_portal_without_customer_is_409(stripe_standin, client_for_user):
    assert_error(client_for_user.post(URL), 409, "conflict")
    assert stripe_standin.requests == []


def test_portal_unconfigured_is_503(stripe_standin, user, client_for_user, settings):
    _with_customer(stripe_standin, user, client_for_user)
    settings.STRIPE_SECRET_KEY = ""
    assert_error(client_for_user.post(URL), 503, "service_unavailable")


def test_portal_stripe_error_is_503(stripe_standin, user, client_for_user):
    _with_customer(stripe_standin, user, client_for_user)
    stripe_standin.fail_status = 500
    assert_error(client_for_user.post(URL), 503, "service_unavailable")


def test_portal_stripe_unreachable_is_503(stripe_standin, user, client_for_user, settings):
    _with_customer(stripe_standin, user, client_for_user)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: connection refused
    started = time.monotonic()
    assert_error(client_for_user.post(URL), 503, "service_unavailable")
    assert time.monotonic() - started < 5


def test_portal_stripe_hanging_is_503_quickly(stripe_standin, user, client_for_user, settings):
    _with_customer(stripe_standin, user, client_for_user)
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_standin.hang = True
    started = time.monotonic()
    assert_error(client_for_user.post(URL), 503, "service_unavailable")
    assert time.monotonic() - started < 3


def test_api_key_may_not_open_the_portal(stripe_standin, user):
    client = scoped_key_client(user, ["billing:read"])
    assert_error(client.post(URL), 403, "permission_denied")


def test_portal_requires_authentication(stripe_standin, api_client):
    assert_error(api_client.post(URL), 401, "not_authenticated")
