from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

TOKEN = "metrics-test-token-0123456789abcdef"


def sample(name: str, **labels: str) -> float:
    """The current value of one series of this process's registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def scrape(api_client, metrics_token):
    """GET /metrics with the token; returns the exposition text."""

    def run() -> str:
        response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")
        assert response.status_code == 200, response.content[:300]
        return response.content.decode()

    return run
