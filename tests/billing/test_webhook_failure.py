"""A handler failure answers 500 (Stripe retries) and leaves nothing half-written."""

from __future__ import annotations

import pytest

from billing.models import StripeEvent, SubscriptionRecord
from tests.billing import events
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_constraint_violation_mid_handler_rolls_everything_back(post_event, make_user):
    """checkout.session.completed first stores the customer on the user, then links the
    subscription on a new record; the subscription id already belongs to another user's record
    (unique), so the second write fails. The customer id, the new record and the event row all
    roll back, and the answer is 500 so Stripe retries."""
    other = make_user(stripe_customer_id="cus_other")
    SubscriptionRecord.objects.create(user=other, stripe_subscription_id="sub_taken", plan="PRO")
    user = make_user()
    event = events.event(
        "checkout.session.completed",
        events.checkout_session(
            user_id=str(user.pk), customer="cus_fresh", subscription_id="sub_taken"
        ),
    )

    for _ in range(2):  # a retry fails the same way, still cleanly
        error = assert_error(post_event(event), 500, "internal_error")
        assert "sub_taken" not in error["message"]

    user.refresh_from_db()
    assert user.stripe_customer_id is None
    assert not SubscriptionRecord.objects.filter(user=user).exists()
    assert not StripeEvent.objects.filter(event_id=event["id"]).exists()


def test_live_subscription_with_unmapped_price_is_500_then_applies_once_configured(
    post_event, make_user, settings
):
    user = make_user(stripe_customer_id="cus_test_1")
    event = events.event("customer.subscription.created", events.subscription(price="price_legacy"))

    assert_error(post_event(event), 500, "internal_error")
    assert not SubscriptionRecord.objects.exists()
    assert not StripeEvent.objects.exists()
    user.refresh_from_db()
    assert user.subscription == "FREE"

    settings.STRIPE_PRICE_PRO_MONTHLY = "price_legacy"  # the operator fixes the configuration
    assert post_event(event).status_code == 200  # Stripe's retry of the same event
    user.refresh_from_db()
    assert user.subscription == "PRO"
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1


def test_ending_subscription_with_unmapped_price_still_applies(post_event, make_user):
    user = make_user(stripe_customer_id="cus_test_1")
    post_event(events.event("customer.subscription.created", events.subscription(), created=100))
    ended = events.subscription(status="canceled", price="price_legacy")
    assert (
        post_event(events.event("customer.subscription.deleted", ended, created=200)).status_code
        == 200
    )
    record = SubscriptionRecord.objects.get(user=user)
    assert (record.status, record.plan) == ("CANCELED", "PRO")
    user.refresh_from_db()
    assert user.subscription == "FREE"


def test_failure_of_one_event_does_not_block_a_later_one(post_event, make_user):
    user = make_user(stripe_customer_id="cus_test_1")
    bad = events.event(
        "customer.subscription.created", events.subscription(price="price_legacy"), created=100
    )
    good = events.event("customer.subscription.updated", events.subscription(), created=200)
    assert_error(post_event(bad), 500, "internal_error")
    assert post_event(good).status_code == 200
    assert SubscriptionRecord.objects.get(user=user).plan == "PRO"
