"""Billing serializers, by direction."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Plan
from billing.models import PAID_PLANS, Interval, SubscriptionStatus
from huntaze.fields import ChoiceField, DirectOutput


class SubscriptionOutput(DirectOutput, serializers.Serializer):
    """A subscription as the API shows it, from ``billing.selectors.subscription_summary``."""

    plan = serializers.ChoiceField(choices=Plan.choices)
    status = serializers.ChoiceField(choices=SubscriptionStatus.choices)
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()


class CheckoutInput(serializers.Serializer):
    plan = ChoiceField(choices=PAID_PLANS)
    interval = ChoiceField(choices=Interval.values)


class UrlOutput(serializers.Serializer):
    url = serializers.URLField()


class WebhookOutput(serializers.Serializer):
    received = serializers.BooleanField()
