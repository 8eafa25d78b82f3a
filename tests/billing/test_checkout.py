from __future__ import annotations

import time

import pytest

from billing.models import SubscriptionRecord
from tests.concurrency import run_concurrently
from tests.conftest import assert_error
from tests.factories import auth_client, make_user, scoped_key_client

URL = "/api/billing/checkout"


def _checkout(client, plan="PRO", interval="month"):
    return client.post(URL, {"plan": plan, "interval": interval}, format="json")


def test_checkout_creates_customer_and_session(stripe_standin, user, client_for_user, settings):
    response = _checkout(client_for_user, "ENTERPRISE", "year")

    assert response.status_code == 200, response.content
    session = next(iter(stripe_standin.checkout_sessions.values()))
    assert response.json() == {"url": session["url"]}

    user.refresh_from_db()
    assert list(stripe_standin.customers) == [user.stripe_customer_id]
    customer = stripe_standin.customers[user.stripe_customer_id]
    assert customer["email"] == user.email
    assert customer["metadata"] == {"user_id": str(user.pk)}

    assert session["customer"] == user.stripe_customer_id
    assert session["mode"] == "subscription"
    assert session["client_reference_id"] == str(user.pk)
    assert session["metadata"] == {"user_id": str(user.pk)}
    assert session["_subscription_data"] == {"metadata": {"user_id": str(user.pk)}}
    assert session["_line_items"] == [{"price": "price_ent_year", "quantity": "1"}]
    assert session["success_url"].startswith(f"{settings.FRONTEND_URL}/")
    assert session["cancel_url"].startswith(f"{settings.FRONTEND_URL}/")
    # every create call carried an idempotency key
    assert all(r["idempotency_key"] for r in stripe_standin.requests)


@pytest.mark.parametrize(
    ("plan", "interval", "price"),
    [
        ("PRO", "month", "price_pro_month"),
        ("PRO", "year", "price_pro_year"),
        ("ENTERPRISE", "month", "price_ent_month"),
        ("ENTERPRISE", "year", "price_ent_year"),
    ],
)
def test_checkout_uses_the_configured_price(stripe_standin, client_for_user, plan, interval, price):
    assert _checkout(client_for_user, plan, interval).status_code == 200
    session = next(iter(stripe_standin.checkout_sessions.values()))
    assert session["_line_items"][0]["price"] == price


def test_second_checkout_reuses_the_stored_customer(stripe_standin, user, client_for_user):
    assert _checkout(client_for_user, "PRO", "month").status_code == 200
    assert _checkout(client_for_user, "PRO", "year").status_code == 200

    assert len(stripe_standin.customers) == 1
    assert len(stripe_standin.requests_to("/v1/customers")) == 1
    sessions = list(stripe_standin.checkout_sessions.values())
    assert len(sessions) == 2
    user.refresh_from_db()
    assert {s["customer"] for s in sessions} == {user.stripe_customer_id}


def test_double_click_returns_the_same_session(stripe_standin, client_for_user):
    first = _checkout(client_for_user)
    second = _checkout(client_for_user)
    assert first.status_code == second.status_code == 200
    assert first.json()["url"] == second.json()["url"]
    assert len(stripe_standin.checkout_sessions) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"plan": "FREE", "interval": "month"},
        {"plan": "pro", "interval": "month"},
        {"plan": "PRO", "interval": "week"},
        {"plan": "PRO"},
    ],
)
def test_checkout_validates_the_body(stripe_standin, client_for_user, body):
    response = client_for_user.post(URL, body, format="json")
    assert_error(response, 400, "validation_error")
    assert stripe_standin.requests == []


@pytest.mark.parametrize("status", ["ACTIVE", "PAST_DUE"])
def test_checkout_conflicts_with_a_live_paid_plan(stripe_standin, user, client_for_user, status):
    SubscriptionRecord.objects.create(user=user, plan="PRO", status=status)
    assert_error(_checkout(client_for_user, "ENTERPRISE"), 409, "conflict")
    assert stripe_standin.requests == []


@pytest.mark.parametrize("status", ["CANCELED", "UNPAID"])
def test_checkout_allowed_after_a_subscription_ended(stripe_standin, user, client_for_user, status):
    SubscriptionRecord.objects.create(user=user, plan="PRO", status=status)
    assert _checkout(client_for_user).status_code == 200


def test_missing_price_is_503(stripe_standin, client_for_user, settings):
    settings.STRIPE_PRICE_ENTERPRISE_YEARLY = ""
    assert_error(_checkout(client_for_user, "ENTERPRISE", "year"), 503, "service_unavailable")
    assert stripe_standin.requests == []


def test_missing_secret_key_is_503(stripe_standin, user, client_for_user, settings):
    settings.STRIPE_SECRET_KEY = ""
    assert_error(_checkout(client_for_user), 503, "service_unavailable")
    assert stripe_standin.requests == []
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_wrong_secret_key_is_503(stripe_standin, client_for_user, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    assert_error(_checkout(client_for_user), 503, "service_unavailable")


def test_stripe_error_is_503_and_stores_nothing(stripe_standin, user, client_for_user):
    stripe_standin.fail_status = 500
    assert_error(_checkout(client_for_user), 503, "service_unavailable")
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_stripe_hanging_is_503_quickly(stripe_standin, user, client_for_user, settings):
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_standin.hang = True
    started = time.monotonic()
    assert_error(_checkout(client_for_user), 503, "service_unavailable")
    assert time.monotonic() - started < 3
    user.refresh_from_db()
    assert user.stripe_customer_id is None


def test_lost_response_is_retried_with_the_same_key_and_makes_one_customer(
    stripe_standin, user, client_for_user, settings
):
    """Stripe created the customer but the answer never arrived: the library's retry carries
    the same idempotency key, so Stripe replays the first customer instead of making another."""
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    stripe_standin.delay_after_seconds = 1.0  # every first answer is lost to the timeout

    response = _checkout(client_for_user)

    assert response.status_code == 200, response.content
    attempts = stripe_standin.requests_to("/v1/customers")
    assert len(attempts) == 2
    assert attempts[0]["idempotency_key"] == attempts[1]["idempotency_key"]
    assert len(stripe_standin.customers) == 1
    user.refresh_from_db()
    assert user.stripe_customer_id == next(iter(stripe_standin.customers))


def test_customer_key_is_stable_across_failed_attempts(stripe_standin, user, client_for_user):
    """A checkout that failed after Stripe made the customer (our write never happened) gets
    the very same customer on the next attempt."""
    stripe_standin.fail_status = 500
    _checkout(client_for_user)
    stripe_standin.fail_status = None
    assert _checkout(client_for_user).status_code == 200
    keys = {r["idempotency_key"] for r in stripe_standin.requests_to("/v1/customers")}
    assert len(keys) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_checkouts_create_one_customer(stripe_standin):
    user = make_user()
    clients = [auth_client(user) for _ in range(2)]

    results = [r.status_code for r in run_concurrently(_checkout, args=[(c,) for c in clients])]

    assert results == [200, 200]
    assert len(stripe_standin.customers) == 1
    # Both requests may reach Stripe (the call holds no lock now, so a slow Stripe holds back
    # nobody): they carry one idempotency key, so Stripe made one customer.
    keys = {r["idempotency_key"] for r in stripe_standin.requests_to("/v1/customers")}
    assert len(keys) == 1
    user.refresh_from_db()
    assert user.stripe_customer_id == next(iter(stripe_standin.customers))


def test_api_key_may_not_start_a_checkout(stripe_standin, user):
    client = scoped_key_client(user, ["billing:read", "content:write", "profile:read"])
    assert_error(_checkout(client), 403, "permission_denied")
    assert stripe_standin.requests == []


def test_checkout_requires_authentication(stripe_standin, api_client):
    assert_error(_checkout(api_client), 401, "not_authenticated")


def test_checkout_query_budget(
    stripe_standin, user, client_for_user, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        assert _checkout(client_for_user).status_code == 200
