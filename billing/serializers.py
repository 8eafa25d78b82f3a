"""Billing serializers, by direction."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Plan
from billing.models import SubscriptionStatus


class SubscriptionOutput(serializers.Serializer):
    plan = serializers.ChoiceField(choices=Plan.choices)
    status = serializers.ChoiceField(choices=SubscriptionStatus.choices)
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()


class CheckoutInput(serializers.Serializer):
    plan = serializers.ChoiceField(choices=[Plan.PRO, Plan.ENTERPRISE])
    interval = serializers.ChoiceField(choices=["month", "year"])


class UrlOutput(serializers.Serializer):
    url = serializers.URLField()


class WebhookOutput(serializers.Serializer):
    received = serializers.BooleanField()
