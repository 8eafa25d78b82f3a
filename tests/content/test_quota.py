"""The monthly AI generation quota: per plan, failures not counted, concurrency, month reset."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from content.models import AiUsage, ContentAsset
from content.selectors import ai_generations_this_month, usage_month
from tests import factories
from tests.concurrency import run_concurrently
from tests.conftest import assert_error

URL = "/api/content/generate"
BODY = {"type": "POST", "prompt": "Un post sur mes vacances"}


def generate(client):
    return client.post(URL, BODY, format="json")


@pytest.mark.django_db
def test_free_plan_gets_five_generations_a_month(client_for_user, user, ai_standin):
    for _ in range(5):
        assert generate(client_for_user).status_code == 201
    assert_error(generate(client_for_user), 429, "quota_exceeded")
    assert ai_standin.count == 5
    assert ContentAsset.objects.filter(user=user).count() == 5
    assert ai_generations_this_month(user=user) == 5


@pytest.mark.django_db
def test_failed_generations_do_not_count(client_for_user, user, ai_standin, settings):
    settings.AI_MONTHLY_QUOTA_FREE = 1
    ai_standin.default = "500"
    assert_error(generate(client_for_user), 503, "service_unavailable")
    ai_standin.default = "content_filter"
    assert_error(generate(client_for_user), 400, "validation_error")
    assert ai_generations_this_month(user=user) == 0
    ai_standin.default = "success"
    assert generate(client_for_user).status_code == 201
    assert_error(generate(client_for_user), 429, "quota_exceeded")
    assert ai_generations_this_month(user=user) == 1


@pytest.mark.django_db
def test_deleting_a_generated_asset_does_not_give_the_generation_back(
    client_for_user, user, ai_standin, settings
):
    settings.AI_MONTHLY_QUOTA_FREE = 1
    asset_id = generate(client_for_user).json()["id"]
    assert client_for_user.delete(f"/api/content/{asset_id}").status_code == 204
    assert_error(generate(client_for_user), 429, "quota_exceeded")


@pytest.mark.django_db
@pytest.mark.parametrize("plan", ["PRO", "ENTERPRISE"])
def test_paid_plans_are_unlimited_by_default_and_still_counted(
    make_user, auth_client, ai_standin, settings, plan
):
    settings.AI_MONTHLY_QUOTA_FREE = 1
    user = make_user(subscription=plan)
    client = auth_client(user)
    for _ in range(3):
        assert generate(client).status_code == 201
    assert ai_generations_this_month(user=user) == 3


@pytest.mark.django_db
def test_quota_follows_the_plan_and_its_setting(make_user, auth_client, ai_standin, settings):
    settings.AI_MONTHLY_QUOTA_PRO = 2
    user = make_user(subscription="PRO")
    client = auth_client(user)
    assert generate(client).status_code == 201
    assert generate(client).status_code == 201
    assert_error(generate(client), 429, "quota_exceeded")
    # An upgrade applies at once (the plan is read from the user on each request).
    user.subscription = "ENTERPRISE"
    user.save(update_fields=["subscription"])
    assert generate(client).status_code == 201


@pytest.mark.django_db
def test_zero_quota_refuses_without_calling_the_model(client_for_user, user, ai_standin, settings):
    settings.AI_MONTHLY_QUOTA_FREE = 0
    assert_error(generate(client_for_user), 429, "quota_exceeded")
    assert ai_standin.count == 0
    assert not AiUsage.objects.exists()


@pytest.mark.django_db
def test_the_quota_resets_each_calendar_month(client_for_user, user, ai_standin):
    this_month = usage_month()
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    AiUsage.objects.create(user=user, month=last_month, count=5)
    assert generate(client_for_user).status_code == 201
    assert AiUsage.objects.get(user=user, month=last_month).count == 5
    assert AiUsage.objects.get(user=user, month=this_month).count == 1
    assert ai_generations_this_month(user=user) == 1

    AiUsage.objects.filter(user=user, month=this_month).update(count=5)
    assert_error(generate(client_for_user), 429, "quota_exceeded")


def test_usage_month_is_the_calendar_month_in_utc():
    utc = dt.UTC
    assert usage_month(dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=utc)) == dt.date(2026, 1, 1)
    assert usage_month(dt.datetime(2026, 2, 1, 0, 0, tzinfo=utc)) == dt.date(2026, 2, 1)
    # 00:30 on 1 February in Paris is still January in UTC.
    paris = dt.datetime(2026, 2, 1, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert usage_month(paris) == dt.date(2026, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_generations_on_a_quota_of_five_give_exactly_five(ai_standin, settings):
    settings.AI_MONTHLY_QUOTA_FREE = 5
    ai_standin.delay = 0.3  # every request is in flight at the same time
    user = factories.make_user()
    clients = [factories.auth_client(user) for _ in range(10)]

    responses = run_concurrently(generate, args=[(c,) for c in clients])

    statuses = [r.status_code for r in responses]
    codes = [r.json()["error"]["code"] for r in responses if r.status_code != 201]
    assert sorted(statuses) == [201] * 5 + [429] * 5, statuses
    assert codes == ["quota_exceeded"] * 5
    assert ai_standin.count == 5
    assert ContentAsset.objects.filter(user=user).count() == 5
    assert AiUsage.objects.get(user=user).count == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_give_their_slots_back(ai_standin, settings):
    settings.AI_MONTHLY_QUOTA_FREE = 3
    ai_standin.default = "500"
    user = factories.make_user()
    clients = [factories.auth_client(user) for _ in range(6)]
    statuses = [r.status_code for r in run_concurrently(generate, args=[(c,) for c in clients])]
    assert len(statuses) == 6 and set(statuses) <= {429, 503} and statuses.count(503) >= 3
    assert AiUsage.objects.get(user=user).count == 0
    ai_standin.default = "success"
    client = factories.auth_client(user)
    assert [generate(client).status_code for _ in range(4)] == [201, 201, 201, 429]
