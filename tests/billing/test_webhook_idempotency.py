"""Each event id is processed once; an older event never overwrites newer state."""

from __future__ import annotations

import pytest

from billing.models import StripeEvent, SubscriptionRecord
from tests.billing import events
from tests.concurrency import run_concurrently
from tests.factories import make_user


def _deliver_concurrently(post_event, event, n: int) -> list[int]:
    return [r.status_code for r in run_concurrently(post_event, n, args=[(event,)] * n)]


@pytest.mark.django_db(transaction=True)
def test_same_event_ten_times_five_concurrently_changes_state_once(post_event):
    """invoice.payment_failed turns ACTIVE into PAST_DUE; invoice.paid (same second) turns it
    back. Were a replay of the failure applied again, the user would fall back to PAST_DUE."""
    user = make_user(stripe_customer_id="cus_test_1")
    assert (
        post_event(
            events.event("customer.subscription.created", events.subscription(), created=1000)
        ).status_code
        == 200
    )

    failed = events.event("invoice.payment_failed", events.invoice(status="open"), created=2000)
    assert _deliver_concurrently(post_event, failed, 5) == [200] * 5
    record = SubscriptionRecord.objects.get(user=user)
    assert record.status == "PAST_DUE"
    assert StripeEvent.objects.filter(event_id=failed["id"]).count() == 1
    updated_at = record.updated_at

    assert (
        post_event(events.event("invoice.paid", events.invoice(), created=2000)).status_code == 200
    )
    assert SubscriptionRecord.objects.get(user=user).status == "ACTIVE"
    updated_at = SubscriptionRecord.objects.get(user=user).updated_at

    for _ in range(5):
        assert post_event(failed).status_code == 200

    record = SubscriptionRecord.objects.get(user=user)
    assert record.status == "ACTIVE"
    assert record.updated_at == updated_at  # the replays wrote nothing
    assert StripeEvent.objects.filter(event_id=failed["id"]).count() == 1
    user.refresh_from_db()
    assert user.subscription == "PRO"


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_of_a_creation_make_one_record(post_event):
    user = make_user(stripe_customer_id="cus_test_1")
    created = events.event("customer.subscription.created", events.subscription())
    assert _deliver_concurrently(post_event, created, 5) == [200] * 5
    assert SubscriptionRecord.objects.filter(user=user).count() == 1
    assert StripeEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_different_events_for_one_user_make_one_record(post_event):
    user = make_user(stripe_customer_id="cus_test_1")
    a = events.event("customer.subscription.created", events.subscription(), created=1000)
    b = events.event(
        "customer.subscription.updated", events.subscription(status="past_due"), created=1001
    )
    statuses = [r.status_code for r in run_concurrently(post_event, args=[(a,), (b,)])]
    assert statuses == [200, 200]
    record = SubscriptionRecord.objects.get(user=user)
    assert record.status == "PAST_DUE"  # the newer event wins whatever the order


@pytest.mark.django_db
def test_older_subscription_update_after_a_newer_one_does_not_regress(post_event, make_user):
    user = make_user(stripe_customer_id="cus_test_1")
    newer = events.subscription(
        status="past_due",
        price="price_ent_month",
        period_start=1_800_000_000,
        period_end=1_802_000_000,
    )
    older = events.subscription(
        status="active",
        price="price_pro_month",
        period_start=1_700_000_000,
        period_end=1_702_000_000,
    )

    assert (
        post_event(events.event("customer.subscription.updated", newer, created=2000)).status_code
        == 200
    )
    assert (
        post_event(events.event("customer.subscription.updated", older, created=1000)).status_code
        == 200
    )

    record = SubscriptionRecord.objects.get(user=user)
    assert (record.status, record.plan) == ("PAST_DUE", "ENTERPRISE")
    assert record.current_period_start.timestamp() == 1_800_000_000
    assert record.last_event_at.timestamp() == 2000
    user.refresh_from_db()
    assert user.subscription == "ENTERPRISE"


@pytest.mark.django_db
def test_older_deletion_after_a_newer_update_does_not_cancel(post_event, make_user):
    user = make_user(stripe_customer_id="cus_test_1")
    post_event(events.event("customer.subscription.updated", events.subscription(), created=2000))
    post_event(
        events.event(
            "customer.subscription.deleted", events.subscription(status="canceled"), created=1000
        )
    )
    assert SubscriptionRecord.objects.get(user=user).status == "ACTIVE"


@pytest.mark.django_db
def test_older_invoice_failure_after_a_newer_update_does_not_regress(post_event, make_user):
    user = make_user(stripe_customer_id="cus_test_1")
    post_event(events.event("customer.subscription.updated", events.subscription(), created=2000))
    post_event(events.event("invoice.payment_failed", events.invoice(status="open"), created=1000))
    assert SubscriptionRecord.objects.get(user=user).status == "ACTIVE"


@pytest.mark.django_db
def test_newer_update_after_an_older_one_applies(post_event, make_user):
    user = make_user(stripe_customer_id="cus_test_1")
    post_event(events.event("customer.subscription.updated", events.subscription(), created=1000))
    post_event(
        events.event(
            "customer.subscription.updated",
            events.subscription(cancel_at_period_end=True),
            created=2000,
        )
    )
    record = SubscriptionRecord.objects.get(user=user)
    assert record.cancel_at_period_end is True
    assert record.last_event_at.timestamp() == 2000
