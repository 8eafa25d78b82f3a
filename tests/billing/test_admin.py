from __future__ import annotations

from django.test import Client

from billing.models import StripeEvent, SubscriptionRecord


def _staff_client(make_admin) -> Client:
    client = Client()
    client.force_login(make_admin())
    return client


def test_subscription_and_event_lists_are_read_only(make_admin, make_user):
    record = SubscriptionRecord.objects.create(user=make_user(), plan="PRO", status="ACTIVE")
    event = StripeEvent.objects.create(event_id="evt_admin_1", type="invoice.paid")
    client = _staff_client(make_admin)

    assert client.get("/admin/billing/subscriptionrecord/").status_code == 200
    assert client.get("/admin/billing/stripeevent/").status_code == 200
    assert client.get(f"/admin/billing/subscriptionrecord/{record.pk}/change/").status_code == 200
    assert client.get("/admin/billing/subscriptionrecord/add/").status_code == 403
    assert client.get("/admin/billing/stripeevent/add/").status_code == 403
    response = client.post(
        f"/admin/billing/subscriptionrecord/{record.pk}/change/", {"plan": "ENTERPRISE"}
    )
    assert response.status_code == 403
    assert (
        client.post(f"/admin/billing/stripeevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    record.refresh_from_db()
    assert record.plan == "PRO"
    assert StripeEvent.objects.filter(pk=event.pk).exists()
