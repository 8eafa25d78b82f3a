from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.billing import events

WEBHOOK_URL = "/api/billing/webhook"


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
