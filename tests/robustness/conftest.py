"""Fixtures of the robustness suite (the Stripe and Azure stand-ins are in tests/conftest.py)."""

from __future__ import annotations

import pytest

ALL_SCOPES = ["profile:read", "content:read", "content:write", "billing:read"]


@pytest.fixture
def high_rate_limits(settings):
    """Every throttle scope at 100000/min: the fuzzer is one client sending thousands of
    requests, and a 429 would hide what the endpoint does with the input."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        scope: "100000/min" for scope in rest["DEFAULT_THROTTLE_RATES"]
    }
    settings.REST_FRAMEWORK = rest
