from __future__ import annotations

import json
import time

import pytest
from rest_framework.test import APIClient

from billing.models import StripeEvent
from tests.billing import events
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/billing/webhook"


def _post(payload: str, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return APIClient().post(URL, data=payload, content_type="application/json", **headers)


@pytest.fixture
def payload(stripe_standin):
    return json.dumps(events.event("customer.created", {"id": "cus_x", "object": "customer"}))


def test_valid_signature_is_accepted_and_recorded(payload):
    response = _post(payload, events.sign(payload))
    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert StripeEvent.objects.filter(event_id=json.loads(payload)["id"]).exists()


def test_signature_from_the_stripe_library_is_accepted(payload):
    """Our test signer and Stripe's own agree (the library is only used here to sign)."""
    import stripe

    header = stripe.WebhookSignature.generate_signature_header(payload, events.WEBHOOK_SECRET)
    assert _post(payload, header).status_code == 200


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda p: None, id="missing"),
        pytest.param(lambda p: "", id="empty"),
        pytest.param(lambda p: "garbage", id="malformed"),
        pytest.param(lambda p: f"t={int(time.time())}", id="no-v1"),
        pytest.param(lambda p: events.sign(p, secret="whsec_other"), id="wrong-secret"),
        pytest.param(lambda p: events.sign(p + " "), id="other-body"),
        pytest.param(lambda p: events.sign(p, timestamp=int(time.time()) - 301), id="stale"),
        pytest.param(lambda p: events.sign(p).replace("v1=", "v0="), id="wrong-scheme"),
    ],
)
def test_bad_signature_is_400(payload, make_header):
    assert_error(_post(payload, make_header(payload)), 400, "invalid_signature")
    assert not StripeEvent.objects.exists()


def test_recent_timestamp_within_tolerance_is_accepted(payload):
    assert _post(payload, events.sign(payload, timestamp=int(time.time()) - 250)).status_code == 200


def test_tampered_body_is_400(stripe_standin):
    event = events.event("invoice.paid", events.invoice())
    signed = json.dumps(event)
    header = events.sign(signed)
    event["data"]["object"]["customer"] = "cus_attacker"
    assert_error(_post(json.dumps(event), header), 400, "invalid_signature")


def test_signed_body_that_is_not_an_event_is_400(stripe_standin):
    for body in ("not json", "[1, 2]", json.dumps({"id": "evt_1"})):
        assert_error(_post(body, events.sign(body)), 400, "invalid_signature")
    assert not StripeEvent.objects.exists()


def test_unconfigured_secret_is_503(payload, settings):
    """Stripe retries a 503, so events survive until the secret is configured."""
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert_error(_post(payload, events.sign(payload)), 503, "service_unavailable")
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("signature", [None, "", "   "])
def test_a_missing_signature_is_400_even_without_a_configured_secret(payload, settings, signature):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert_error(_post(payload, signature), 400, "invalid_signature")
    assert not StripeEvent.objects.exists()


def test_webhook_needs_no_authentication_nor_csrf(payload):
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(
        URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=events.sign(payload),
    )
    assert response.status_code == 200


def test_webhook_ignores_a_bearer_token(payload, client_for_user):
    """No authentication classes: even a bad Authorization header is not a 401."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.post(
        URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=events.sign(payload),
    )
    assert response.status_code == 200


def test_get_is_405(stripe_standin):
    assert_error(APIClient().get(URL), 405, "method_not_allowed")
