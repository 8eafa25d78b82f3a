from __future__ import annotations

from datetime import UTC, datetime

from billing.models import SubscriptionRecord
from tests.conftest import assert_error
from tests.factories import scoped_key_client

URL = "/api/billing/subscription"


def test_without_record_is_free_active(client_for_user):
    response = client_for_user.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "plan": "FREE",
        "status": "ACTIVE",
        "current_period_start": None,
        "current_period_end": None,
        "cancel_at_period_end": False,
    }


def test_with_record(user, client_for_user):
    SubscriptionRecord.objects.create(
        user=user,
        plan="ENTERPRISE",
        status="PAST_DUE",
        stripe_subscription_id="sub_x",
        current_period_start=datetime(2025, 1, 1, tzinfo=UTC),
        current_period_end=datetime(2025, 2, 1, tzinfo=UTC),
        cancel_at_period_end=True,
    )
    response = client_for_user.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "plan": "ENTERPRISE",
        "status": "PAST_DUE",
        "current_period_start": "2025-01-01T00:00:00Z",
        "current_period_end": "2025-02-01T00:00:00Z",
        "cancel_at_period_end": True,
    }


def test_only_own_record_is_shown(user, make_user, client_for_user):
    SubscriptionRecord.objects.create(user=make_user(), plan="PRO", status="ACTIVE")
    assert client_for_user.get(URL).json()["plan"] == "FREE"


def test_api_key_with_billing_read(user):
    SubscriptionRecord.objects.create(user=user, plan="PRO", status="ACTIVE")
    response = scoped_key_client(user, ["billing:read"]).get(URL)
    assert response.status_code == 200
    assert response.json()["plan"] == "PRO"


def test_api_key_without_billing_read(user):
    assert_error(scoped_key_client(user, ["content:read"]).get(URL), 403, "permission_denied")


def test_requires_authentication(api_client):
    assert_error(api_client.get(URL), 401, "not_authenticated")


def test_query_budget(user, client_for_user, django_assert_max_num_queries):
    SubscriptionRecord.objects.create(user=user, plan="PRO", status="ACTIVE")
    with django_assert_max_num_queries(3):
        assert client_for_user.get(URL).status_code == 200
