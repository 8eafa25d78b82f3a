from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.billing import events
from tests.billing.stripe_standin import StripeStandin

WEBHOOK_URL = "/api/billing/webhook"


@pytest.fixture(scope="session")
def _standin_server():
    server = StripeStandin(api_key="sk_test_standin_key").start()
    yield server
    server.stop()


@pytest.fixture
def stripe_standin(_standin_server, settings):
    """The Stripe stand-in, fresh for each test, with billing configured to use it."""
    _standin_server.reset()
    settings.STRIPE_API_BASE = _standin_server.url
    settings.STRIPE_SECRET_KEY = _standin_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = events.WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 2.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    for name, value in events.PRICES.items():
        setattr(settings, name, value)
    yield _standin_server
    _standin_server.reset()


@pytest.fixture
def post_event(stripe_standin):
    """Sign and deliver an event to the webhook; returns the response."""

    def deliver(event: dict, *, client: APIClient | None = None, **sign_kwargs):
        payload = json.dumps(event)
        return (client or APIClient()).post(
            WEBHOOK_URL,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=events.sign(payload, **sign_kwargs),
        )

    return deliver
