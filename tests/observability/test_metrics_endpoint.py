"""GET /metrics: the bearer token, the 404 without it, the text format (docs/operations.md)."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.observability.conftest import TOKEN

pytestmark = pytest.mark.django_db


def test_without_a_configured_token_metrics_is_a_404_even_with_a_bearer(api_client, settings):
    settings.METRICS_TOKEN = ""
    assert_error(api_client.get("/metrics"), 404, "not_found")
    assert_error(api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer "), 404, "not_found")
    assert_error(api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"), 404, "not_found")


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer é"],
)
def test_a_missing_or_wrong_token_is_a_404(api_client, metrics_token, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = api_client.get("/metrics", **extra)
    assert_error(response, 404, "not_found")
    assert b"huntaze_" not in response.content


def test_the_token_reads_the_prometheus_text_format(api_client, metrics_token):
    response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"bearer  {TOKEN} ")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    for family in (
        "huntaze_http_requests_total",
        "huntaze_http_request_duration_seconds",
        "huntaze_db_query_duration_seconds",
        "huntaze_db_connections_open",
        "huntaze_health_check_duration_seconds",
        "huntaze_ai_generations_total",
        "huntaze_ai_generation_duration_seconds",
        "huntaze_ai_tokens_total",
        "huntaze_stripe_webhook_events_total",
        "huntaze_invites_total",
        "huntaze_signins_total",
        "huntaze_rate_limited_total",
    ):
        assert f"# TYPE {family.removesuffix('_total')}" in text, family
    assert "huntaze_database_up 1.0" in text
    assert "huntaze_ai_budget_usd 20.0" in text
    assert "huntaze_ai_spend_usd 0.0" in text


def test_metrics_needs_no_allowed_host_and_no_https(api_client, metrics_token, settings):
    """A scraper on the private network uses the instance address over plain HTTP."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["api.huntaze.com"]
    response = api_client.get(
        "/metrics", HTTP_HOST="10.0.3.17:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 200


def test_scrapes_are_not_counted_as_traffic(scrape):
    text = scrape()
    text = scrape()
    assert 'route="/metrics"' not in text
