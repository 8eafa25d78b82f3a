"""Fixtures of the robustness suite (the Stripe and Azure stand-ins are in tests/conftest.py)."""

from __future__ import annotations

import pytest

ALL_SCOPES = ["profile:read", "content:read", "content:write", "billing:read"]


def report(event: str, **figures: object) -> None:
    """Print what a user saw during ``event`` (``pytest -s``): the figures of the events table
    in docs/robustness.md come from these lines."""
    shown = ", ".join(
        f"{name}={value:.2f}" if isinstance(value, float) else f"{name}={value}"
        for name, value in figures.items()
    )
    print(f"\n[figures] {event}: {shown}")


@pytest.fixture
def high_rate_limits(settings):
    """Every throttle scope at 100000/min: the fuzzer is one client sending thousands of
    requests, and a 429 would hide what the endpoint does with the input."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        scope: "100000/min" for scope in rest["DEFAULT_THROTTLE_RATES"]
    }
    settings.REST_FRAMEWORK = rest
