"""Billing serializers, by direction."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Plan
from billing.models import PAID_PLANS, Interval, SubscriptionStatus
from huntaze.fields import ChoiceField, DirectOutput
from huntaze.schema import schema_example

# The schema's examples (huntaze/schema.py).
SUBSCRIPTION_EXAMPLE = {
    "plan": "PRO",
    "status": "ACTIVE",
    "current_period_start": "2026-11-15T08:30:00Z",
    "current_period_end": "2026-12-15T08:30:00Z",
    "cancel_at_period_end": False,
}


@schema_example(SUBSCRIPTION_EXAMPLE)
class SubscriptionOutput(DirectOutput, serializers.Serializer):
    """A subscription as the API shows it, from ``billing.selectors.subscription_summary``."""

    plan = serializers.ChoiceField(choices=Plan.choices)
    status = serializers.ChoiceField(choices=SubscriptionStatus.choices)
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()


@schema_example({"plan": "PRO", "interval": "month"})
class CheckoutInput(serializers.Serializer):
    plan = ChoiceField(choices=PAID_PLANS)
    interval = ChoiceField(choices=Interval.values)


class UrlOutput(serializers.Serializer):
    url = serializers.URLField()


@schema_example({"url": "https://checkout.stripe.com/c/pay/cs_live_a1B2c3D4e5F6g7H8i9J0kLmNoP"})
class CheckoutOutput(UrlOutput):
    """The Stripe Checkout page to send the user to."""


@schema_example({"url": "https://billing.stripe.com/p/session/live_YWNjdF8xTjRrUDJ4"})
class PortalOutput(UrlOutput):
    """The user's Stripe customer portal."""


@schema_example({"received": True})
class WebhookOutput(serializers.Serializer):
    received = serializers.BooleanField()
