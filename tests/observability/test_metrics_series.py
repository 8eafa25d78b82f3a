"""What each series counts, through HTTP, with bounded labels (huntaze/metrics.py)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.billing import events
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD
from tests.observability.conftest import sample

pytestmark = pytest.mark.django_db

ASSET_ROUTE = "/api/content/<str:asset_id>"


def test_requests_are_counted_by_route_pattern_and_status_class(scrape, make_user, auth_client):
    owner, other = make_user(), make_user(email="someone.private@example.test")
    client = auth_client(other)
    asset_id = str(uuid.uuid4())
    before = sample("huntaze_http_requests_total", method="GET", route=ASSET_ROUTE, status="4xx")
    before_hist = sample(
        "huntaze_http_request_duration_seconds_count", method="GET", route=ASSET_ROUTE
    )
    for path in (f"/api/content/{asset_id}", f"/api/content/{asset_id}/", "/api/content/nope"):
        assert_error(client.get(path), 404, "not_found")
    assert client.get("/api/content").status_code == 200

    assert (
        sample("huntaze_http_requests_total", method="GET", route=ASSET_ROUTE, status="4xx")
        == before + 3
    )
    assert (
        sample("huntaze_http_request_duration_seconds_count", method="GET", route=ASSET_ROUTE)
        == before_hist + 3
    )
    assert sample("huntaze_http_requests_total", method="GET", route="/api/content", status="2xx")
    text = scrape()
    # Never an id, an email or a raw path in a label.
    assert asset_id not in text and "nope" not in text
    assert "someone.private" not in text and str(owner.pk) not in text
    for labels in re.findall(r"\{([^}]*)\}", text):
        assert "@" not in labels, labels


def test_paths_matching_no_route_share_one_label(api_client):
    before = sample("huntaze_http_requests_total", method="GET", route="unmatched", status="4xx")
    for path in ("/wp-login.php", "/.env", "/admin-x/123"):
        api_client.get(path)
    assert (
        sample("huntaze_http_requests_total", method="GET", route="unmatched", status="4xx")
        == before + 3
    )


def test_unusual_methods_are_one_label(api_client):
    before = sample(
        "huntaze_http_requests_total", method="other", route="/api/auth/me", status="4xx"
    )
    api_client.generic("PROPFIND", "/api/auth/me")
    assert (
        sample("huntaze_http_requests_total", method="other", route="/api/auth/me", status="4xx")
        == before + 1
    )


def test_sql_statements_and_open_connections(auth_client, user):
    before = sample("huntaze_db_query_duration_seconds_count")
    assert auth_client(user).get("/api/users/profile").status_code == 200  # one query
    assert sample("huntaze_db_query_duration_seconds_count") >= before + 1
    assert sample("huntaze_db_connections_open") == 1


def test_health_check_latency(api_client):
    before = sample("huntaze_health_check_duration_seconds_count", outcome="healthy")
    assert api_client.get("/api/health").status_code == 200
    assert sample("huntaze_health_check_duration_seconds_count", outcome="healthy") == before + 1


def test_signins_by_outcome(api_client, make_user):
    make_user(email="signin.metrics@example.test")
    ok, ko = (
        sample("huntaze_signins_total", outcome="success"),
        sample("huntaze_signins_total", outcome="failure"),
    )
    body = {"email": "signin.metrics@example.test", "password": DEFAULT_PASSWORD}
    assert api_client.post("/api/auth/signin", body, format="json").status_code == 200
    body["password"] = "wrong-password-1"
    assert api_client.post("/api/auth/signin", body, format="json").status_code == 401
    assert sample("huntaze_signins_total", outcome="success") == ok + 1
    assert sample("huntaze_signins_total", outcome="failure") == ko + 1


def test_rate_limit_refusals_by_scope(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "signin_ip": "2/min",
        },
    }
    before = sample("huntaze_rate_limited_total", scope="signin_ip")
    body = {"email": "nobody@example.test", "password": "whatever-123"}
    statuses = [
        api_client.post(
            "/api/auth/signin", body, format="json", REMOTE_ADDR="203.0.113.9"
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 429, 429]
    assert sample("huntaze_rate_limited_total", scope="signin_ip") == before + 2


def test_invites_issued_queued_and_redeemed(
    make_admin, auth_client, api_client, django_capture_on_commit_callbacks
):
    admin = auth_client(make_admin())
    issued, queued, redeemed = (
        sample("huntaze_invites_total", event=e) for e in ("issued", "queued", "redeemed")
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/api/invites", {"emails": ["m1@example.test", "m2@example.test"]}, format="json"
        )
    assert response.status_code == 201
    code = response.json()["results"][0]["code"]
    from invites.models import BetaInvite
    from invites.services import invite_send

    with django_capture_on_commit_callbacks(execute=True):
        invite_send(invites=BetaInvite.objects.filter(email="m1@example.test"))
    with django_capture_on_commit_callbacks(execute=True):
        signup = api_client.post(
            "/api/auth/signup",
            {
                "email": "m1@example.test",
                "password": DEFAULT_PASSWORD,
                "name": "M",
                "invite_code": code,
            },
            format="json",
        )
    assert signup.status_code == 201
    assert sample("huntaze_invites_total", event="issued") == issued + 2
    assert sample("huntaze_invites_total", event="queued") == queued + 1
    assert sample("huntaze_invites_total", event="redeemed") == redeemed + 1
    assert User.objects.filter(email="m1@example.test").exists()


def test_ai_generations_by_outcome_with_latency_and_tokens(
    client_for_user, ai_standin, settings, django_capture_on_commit_callbacks
):
    settings.AI_MONTHLY_QUOTA_FREE = 1
    url, body = "/api/content/generate", {"type": "POST", "prompt": "Un post"}
    names = ("success", "unavailable", "quota_exceeded")
    before = {o: sample("huntaze_ai_generations_total", outcome=o) for o in names}
    hist = sample("huntaze_ai_generation_duration_seconds_count", outcome="success")
    prompt, completion = (
        sample("huntaze_ai_tokens_total", kind=k) for k in ("prompt", "completion")
    )
    ai_standin.default = "500"
    assert_error(client_for_user.post(url, body, format="json"), 503, "service_unavailable")
    ai_standin.default = "success"
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for_user.post(url, body, format="json").status_code == 201
    assert_error(client_for_user.post(url, body, format="json"), 429, "quota_exceeded")

    for outcome in names:
        assert sample("huntaze_ai_generations_total", outcome=outcome) == before[outcome] + 1
    assert sample("huntaze_ai_generation_duration_seconds_count", outcome="success") == hist + 1
    assert sample("huntaze_ai_tokens_total", kind="prompt") == prompt + 42
    assert sample("huntaze_ai_tokens_total", kind="completion") == completion + 17


def _deliver(event: dict, *, secret: str = events.WEBHOOK_SECRET):
    payload = json.dumps(event)
    return APIClient().post(
        "/api/billing/webhook",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=events.sign(payload, secret=secret),
    )


def test_stripe_webhook_events_by_type_and_outcome(stripe_standin, make_user):
    def count(type_, outcome):
        return sample("huntaze_stripe_webhook_events_total", type=type_, outcome=outcome)

    user = make_user()
    checkout = "checkout.session.completed"
    before = {
        key: count(*key)
        for key in (
            (checkout, "applied"),
            (checkout, "duplicate"),
            ("other", "ignored"),
            ("unknown", "invalid_signature"),
        )
    }
    event = events.event(checkout, events.checkout_session(user_id=str(user.pk)))
    assert _deliver(event).status_code == 200
    assert _deliver(event).status_code == 200
    assert _deliver(events.event("charge.refunded", {"id": "ch_1"})).status_code == 200
    assert _deliver(event, secret="whsec_not_ours").status_code == 400
    for key, value in before.items():
        assert count(*key) == value + 1, key
