"""Each handled event type and each status and price mapping (docs/api.md, Billing)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing.models import StripeEvent, SubscriptionRecord
from tests.billing import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(make_user):
    """A user who went through checkout: their Stripe customer id is stored."""
    return make_user(stripe_customer_id="cus_test_1")


def _record(user) -> SubscriptionRecord:
    return SubscriptionRecord.objects.get(user=user)


def test_subscription_created_fills_the_record(post_event, customer):
    sub = events.subscription(status="active", price="price_pro_year", cancel_at_period_end=True)
    response = post_event(events.event("customer.subscription.created", sub, created=1_700_000_100))

    assert response.status_code == 200
    record = _record(customer)
    assert record.stripe_subscription_id == "sub_test_1"
    assert (record.plan, record.status) == ("PRO", "ACTIVE")
    assert record.current_period_start == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert record.current_period_end == datetime.fromtimestamp(1_702_592_000, tz=UTC)
    assert record.cancel_at_period_end is True
    assert record.last_event_at == datetime.fromtimestamp(1_700_000_100, tz=UTC)
    customer.refresh_from_db()
    assert customer.subscription == "PRO"


def test_periods_read_from_items_in_newer_api_versions(post_event, customer):
    sub = events.subscription(
        periods_on_items=True, period_start=1_710_000_000, period_end=1_712_000_000
    )
    assert "current_period_start" not in sub
    post_event(events.event("customer.subscription.created", sub))
    record = _record(customer)
    assert record.current_period_start == datetime.fromtimestamp(1_710_000_000, tz=UTC)
    assert record.current_period_end == datetime.fromtimestamp(1_712_000_000, tz=UTC)


@pytest.mark.parametrize(
    ("price", "plan"),
    [
        ("price_pro_month", "PRO"),
        ("price_pro_year", "PRO"),
        ("price_ent_month", "ENTERPRISE"),
        ("price_ent_year", "ENTERPRISE"),
    ],
)
def test_price_maps_to_plan(post_event, customer, price, plan):
    post_event(events.event("customer.subscription.updated", events.subscription(price=price)))
    assert _record(customer).plan == plan
    customer.refresh_from_db()
    assert customer.subscription == plan


@pytest.mark.parametrize(
    ("stripe_status", "status", "user_plan"),
    [
        ("active", "ACTIVE", "ENTERPRISE"),
        ("trialing", "ACTIVE", "ENTERPRISE"),
        ("past_due", "PAST_DUE", "ENTERPRISE"),
        ("unpaid", "UNPAID", "FREE"),
        ("incomplete", "UNPAID", "FREE"),
        ("canceled", "CANCELED", "FREE"),
        ("incomplete_expired", "CANCELED", "FREE"),
    ],
)
def test_status_mapping_and_user_plan(post_event, customer, stripe_status, status, user_plan):
    sub = events.subscription(status=stripe_status, price="price_ent_month")
    assert post_event(events.event("customer.subscription.updated", sub)).status_code == 200
    record = _record(customer)
    assert record.status == status
    assert record.plan == "ENTERPRISE"
    customer.refresh_from_db()
    assert customer.subscription == user_plan


def test_subscription_deleted_cancels_and_downgrades(post_event, customer):
    post_event(events.event("customer.subscription.created", events.subscription(), created=100))
    customer.refresh_from_db()
    assert customer.subscription == "PRO"

    gone = events.subscription(status="canceled")
    assert (
        post_event(events.event("customer.subscription.deleted", gone, created=200)).status_code
        == 200
    )

    record = _record(customer)
    assert record.status == "CANCELED"
    customer.refresh_from_db()
    assert customer.subscription == "FREE"


def test_subscription_found_by_metadata_user_id(post_event, make_user):
    """A subscription event for a user whose customer id is not stored yet (metadata set by
    checkout's subscription_data) stores the customer and applies."""
    user = make_user()
    sub = events.subscription(customer="cus_meta", metadata={"user_id": str(user.pk)})
    assert post_event(events.event("customer.subscription.created", sub)).status_code == 200
    user.refresh_from_db()
    assert user.stripe_customer_id == "cus_meta"
    assert user.subscription == "PRO"


def test_checkout_completed_links_customer_and_subscription(post_event, make_user):
    user = make_user()
    session = events.checkout_session(
        user_id=str(user.pk), customer="cus_new", subscription_id="sub_new"
    )
    assert post_event(events.event("checkout.session.completed", session)).status_code == 200

    user.refresh_from_db()
    assert user.stripe_customer_id == "cus_new"
    record = _record(user)
    assert record.stripe_subscription_id == "sub_new"
    # plan and status come from the customer.subscription.* events
    assert user.subscription == "FREE"

    sub = events.subscription(sub_id="sub_new", customer="cus_new", price="price_ent_year")
    post_event(events.event("customer.subscription.created", sub))
    user.refresh_from_db()
    assert user.subscription == "ENTERPRISE"


def test_checkout_completed_by_metadata_only(post_event, make_user):
    user = make_user()
    session = events.checkout_session(
        user_id=str(user.pk), customer="cus_m", use_metadata_only=True
    )
    post_event(events.event("checkout.session.completed", session))
    user.refresh_from_db()
    assert user.stripe_customer_id == "cus_m"


def test_checkout_completed_after_subscription_created_keeps_the_state(post_event, customer):
    post_event(events.event("customer.subscription.created", events.subscription(), created=100))
    session = events.checkout_session(user_id=str(customer.pk))
    assert (
        post_event(events.event("checkout.session.completed", session, created=100)).status_code
        == 200
    )
    record = _record(customer)
    assert (record.plan, record.status, record.stripe_subscription_id) == (
        "PRO",
        "ACTIVE",
        "sub_test_1",
    )


def test_checkout_completed_for_unknown_user_is_ignored(post_event):
    import uuid

    for user_id in (str(uuid.uuid4()), "not-a-uuid", None):
        session = events.checkout_session(user_id=user_id, customer="cus_nobody")
        assert post_event(events.event("checkout.session.completed", session)).status_code == 200
    assert not SubscriptionRecord.objects.exists()


@pytest.mark.parametrize("new_shape", [False, True])
@pytest.mark.parametrize("event_type", ["invoice.paid", "invoice.payment_succeeded"])
def test_invoice_paid_brings_past_due_back_to_active(post_event, customer, event_type, new_shape):
    post_event(
        events.event(
            "customer.subscription.updated", events.subscription(status="past_due"), created=100
        )
    )
    assert _record(customer).status == "PAST_DUE"

    assert (
        post_event(
            events.event(event_type, events.invoice(new_shape=new_shape), created=200)
        ).status_code
        == 200
    )

    assert _record(customer).status == "ACTIVE"
    customer.refresh_from_db()
    assert customer.subscription == "PRO"


@pytest.mark.parametrize("new_shape", [False, True])
def test_invoice_payment_failed_makes_active_past_due(post_event, customer, new_shape):
    post_event(events.event("customer.subscription.created", events.subscription(), created=100))
    inv = events.invoice(status="open", new_shape=new_shape)
    assert post_event(events.event("invoice.payment_failed", inv, created=200)).status_code == 200
    assert _record(customer).status == "PAST_DUE"
    customer.refresh_from_db()
    assert customer.subscription == "PRO"  # still served while Stripe retries the payment


def test_invoice_paid_does_not_revive_a_canceled_subscription(post_event, customer):
    post_event(
        events.event(
            "customer.subscription.deleted", events.subscription(status="canceled"), created=100
        )
    )
    post_event(events.event("invoice.paid", events.invoice(), created=200))
    assert _record(customer).status == "CANCELED"
    customer.refresh_from_db()
    assert customer.subscription == "FREE"


def test_invoice_for_another_subscription_is_ignored(post_event, customer):
    post_event(events.event("customer.subscription.created", events.subscription(), created=100))
    post_event(
        events.event("invoice.payment_failed", events.invoice(sub_id="sub_other"), created=200)
    )
    assert _record(customer).status == "ACTIVE"


def test_invoice_without_subscription_is_ignored(post_event, customer):
    post_event(events.event("customer.subscription.created", events.subscription(), created=100))
    assert (
        post_event(
            events.event("invoice.payment_failed", events.invoice(sub_id=None), created=200)
        ).status_code
        == 200
    )
    assert _record(customer).status == "ACTIVE"


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [
        ("customer.subscription.updated", events.subscription(customer="cus_unknown")),
        ("customer.subscription.deleted", events.subscription(customer="cus_unknown")),
        ("invoice.paid", events.invoice(customer="cus_unknown")),
        ("invoice.payment_failed", events.invoice(customer="cus_unknown")),
    ],
)
def test_event_about_an_unknown_customer_is_200_and_ignored(post_event, customer, event_type, obj):
    event = events.event(event_type, obj)
    assert post_event(event).status_code == 200
    assert not SubscriptionRecord.objects.exists()
    assert StripeEvent.objects.filter(event_id=event["id"]).exists()


def test_unknown_event_type_is_200_recorded_and_ignored(post_event, customer):
    event = events.event(
        "charge.refunded", {"id": "ch_1", "object": "charge", "customer": "cus_test_1"}
    )
    assert post_event(event).status_code == 200
    stored = StripeEvent.objects.get(event_id=event["id"])
    assert stored.type == "charge.refunded"
    assert stored.processed_at is not None
    assert not SubscriptionRecord.objects.exists()


def test_old_subscription_ending_does_not_touch_the_new_one(post_event, customer):
    """The user re-subscribed (sub_new); a cancellation of the old subscription arriving later
    does not downgrade them."""
    post_event(
        events.event(
            "customer.subscription.created", events.subscription(sub_id="sub_new"), created=100
        )
    )
    old = events.subscription(sub_id="sub_old", status="canceled")
    post_event(events.event("customer.subscription.deleted", old, created=150))
    record = _record(customer)
    assert (record.stripe_subscription_id, record.status) == ("sub_new", "ACTIVE")


def test_resubscribing_switches_to_the_new_subscription(post_event, customer):
    post_event(
        events.event(
            "customer.subscription.deleted",
            events.subscription(sub_id="sub_old", status="canceled"),
            created=100,
        )
    )
    post_event(
        events.event(
            "customer.subscription.created",
            events.subscription(sub_id="sub_new", price="price_ent_month"),
            created=200,
        )
    )
    record = _record(customer)
    assert (record.stripe_subscription_id, record.status, record.plan) == (
        "sub_new",
        "ACTIVE",
        "ENTERPRISE",
    )
    customer.refresh_from_db()
    assert customer.subscription == "ENTERPRISE"


def test_webhook_query_budget(post_event, customer, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert (
            post_event(
                events.event("customer.subscription.created", events.subscription())
            ).status_code
            == 200
        )


def test_checkout_completed_with_expanded_subscription_applies_it(post_event, make_user):
    user = make_user()
    session = events.checkout_session(user_id=str(user.pk), customer="cus_x", subscription_id=None)
    session["subscription"] = events.subscription(
        sub_id="sub_x", customer="cus_x", price="price_pro_year"
    )
    assert post_event(events.event("checkout.session.completed", session)).status_code == 200
    record = _record(user)
    assert (record.stripe_subscription_id, record.plan, record.status) == ("sub_x", "PRO", "ACTIVE")
    user.refresh_from_db()
    assert (user.stripe_customer_id, user.subscription) == ("cus_x", "PRO")
