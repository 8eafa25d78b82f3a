"""Subscriptions mirrored from Stripe, and the Stripe events already processed (docs/data-model.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Plan


class Interval(models.TextChoices):
    """Billing intervals of a paid plan (a Stripe price per plan and interval)."""

    MONTH = "month"
    YEAR = "year"


# Plans sold through Stripe Checkout; FREE needs no subscription.
PAID_PLANS: tuple[str, ...] = (Plan.PRO, Plan.ENTERPRISE)


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    CANCELED = "CANCELED"
    PAST_DUE = "PAST_DUE"
    UNPAID = "UNPAID"


class SubscriptionRecord(models.Model):
    """One per user, upserted from Stripe webhooks.

    ``last_event_at`` is the ``created`` time of the newest Stripe event applied, so an older
    event delivered late never overwrites newer state.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription_record"
    )
    stripe_subscription_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    plan = models.CharField(max_length=16, choices=Plan.choices, default=Plan.FREE)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "subscription_records"

    def __str__(self) -> str:
        return f"{self.user_id} {self.plan} {self.status}"


class StripeEvent(models.Model):
    """A Stripe event id recorded in the same transaction as the state change it caused."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "stripe_events"

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
