"""Fixtures of the robustness suite: the external stand-ins of tests/billing and tests/content,
configured the way those suites configure them, plus identities with real credentials."""

from __future__ import annotations

import pytest

from tests.billing import events
from tests.billing.stripe_standin import StripeStandin
from tests.content.standin import API_KEY, DEPLOYMENT, OpenAIStandIn

ALL_SCOPES = ["profile:read", "content:read", "content:write", "billing:read"]


@pytest.fixture(scope="session")
def _stripe_server():
    server = StripeStandin(api_key="sk_test_robust_standin_key").start()
    yield server
    server.stop()


@pytest.fixture
def stripe_standin(_stripe_server, settings):
    _stripe_server.reset()
    settings.STRIPE_API_BASE = _stripe_server.url
    settings.STRIPE_SECRET_KEY = _stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = events.WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 2.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    for name, value in events.PRICES.items():
        setattr(settings, name, value)
    yield _stripe_server
    _stripe_server.reset()


@pytest.fixture
def ai_standin(settings, monkeypatch):
    server = OpenAIStandIn().start()
    settings.AZURE_OPENAI_ENDPOINT = server.url
    settings.AZURE_OPENAI_API_KEY = API_KEY
    settings.AZURE_OPENAI_DEPLOYMENT = DEPLOYMENT
    settings.AI_REQUEST_TIMEOUT_SECONDS = 1.0
    settings.AI_RETRY_BACKOFF_SECONDS = 0.05
    settings.AI_TOTAL_DEADLINE_SECONDS = 10.0
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
    yield server
    server.stop()


@pytest.fixture
def high_rate_limits(settings):
    """Every throttle scope at 100000/min: the fuzzer is one client sending thousands of
    requests, and a 429 would hide what the endpoint does with the input."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        scope: "100000/min" for scope in rest["DEFAULT_THROTTLE_RATES"]
    }
    settings.REST_FRAMEWORK = rest
