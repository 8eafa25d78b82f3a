"""Black-box contract checks (docs/api.md, Conventions): messages are French by default and English
with ``Accept-Language: en``; codes never change with the language."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def _message(response) -> str:
    return response.json()["error"]["message"]


def test_conflict_on_taken_email_is_translated(make_user, auth_client):
    make_user(email="taken@example.test")
    client = auth_client(make_user())
    fr = client.patch("/api/users/profile", {"email": "taken@example.test"}, format="json")
    en = client.patch(
        "/api/users/profile",
        {"email": "taken@example.test"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert_error(fr, 409, "conflict")
    assert_error(en, 409, "conflict")
    assert _message(fr) != _message(en)


def test_wrong_current_password_field_message_is_translated(make_user, auth_client):
    client = auth_client(make_user())
    body = {"current_password": "not-the-password", "new_password": "An0ther-long-pw"}
    fr = client.post("/api/auth/password/change", body, format="json")
    en = client.post("/api/auth/password/change", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert_error(fr, 400, "validation_error")
    assert_error(en, 400, "validation_error")
    assert (
        fr.json()["error"]["fields"]["current_password"]
        != en.json()["error"]["fields"]["current_password"]
    )


@override_settings(AZURE_OPENAI_API_KEY="", AZURE_OPENAI_ENDPOINT="")
def test_ai_not_configured_message_is_translated(make_user, auth_client):
    client = auth_client(make_user())
    body = {"type": "CAPTION", "prompt": "A sunset"}
    fr = client.post("/api/content/generate", body, format="json")
    en = client.post("/api/content/generate", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert_error(fr, 503, "service_unavailable")
    assert_error(en, 503, "service_unavailable")
    assert _message(fr) != _message(en)


@override_settings(STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")
def test_billing_not_configured_message_is_translated(make_user, auth_client):
    client = auth_client(make_user())
    body = {"plan": "PRO", "interval": "month"}
    fr = client.post("/api/billing/checkout", body, format="json")
    en = client.post("/api/billing/checkout", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert_error(fr, 503, "service_unavailable")
    assert_error(en, 503, "service_unavailable")
    assert _message(fr) != _message(en)


def test_payload_too_large_is_french_by_default_whatever_the_previous_request(api_client):
    # An English request first: its language must not leak into the next request.
    api_client.get("/api/nope", HTTP_ACCEPT_LANGUAGE="en")
    big = b"x" * (2 * 1024 * 1024)
    fr = api_client.generic("POST", "/api/content", big, content_type="application/json")
    assert_error(fr, 413, "payload_too_large")
    assert _message(fr) == "Corps de requête trop volumineux."
    en = api_client.generic(
        "POST", "/api/content", big, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert_error(en, 413, "payload_too_large")
    assert _message(en) != _message(fr)
