import pytest


@pytest.mark.django_db
def test_readiness_reports_the_database(api_client):
    response = api_client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["healthy"] is True
    assert isinstance(body["database"]["latency_ms"], float)


def test_liveness_does_not_touch_the_database(api_client, django_assert_num_queries):
    # No ``db`` fixture: any query here would fail the test.
    response = api_client.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_probes_answer_a_load_balancer_without_redirect(api_client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["api.huntaze.com"]
    for path in ("/api/health", "/api/health/", "/api/health/live"):
        response = api_client.get(path, HTTP_HOST="10.0.3.17:8000")
        assert response.status_code == 200, path
    # Other paths still get the HTTPS redirect and the host check.
    assert api_client.get("/api/auth/me", HTTP_HOST="api.huntaze.com").status_code == 301
