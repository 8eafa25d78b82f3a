"""Billing serializers, by direction."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Plan
from billing.models import PAID_PLANS, Interval, SubscriptionStatus
from huntaze.fields import ChoiceField, choice_value, iso_datetime


def subscription_representation(summary: dict) -> dict:
    """``SubscriptionOutput``'s dict from ``billing.selectors.subscription_summary``, built
    directly (``tests/accounts/test_direct_output.py`` pins it to the generic output)."""
    return {
        "plan": choice_value(summary["plan"]),
        "status": choice_value(summary["status"]),
        "current_period_start": iso_datetime(summary["current_period_start"]),
        "current_period_end": iso_datetime(summary["current_period_end"]),
        "cancel_at_period_end": bool(summary["cancel_at_period_end"]),
    }


class SubscriptionOutput(serializers.Serializer):
    """Fields declared for the schema; ``to_representation`` is ``subscription_representation``."""

    def to_representation(self, instance: dict) -> dict:
        return subscription_representation(instance)

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
