"""The AI budget guard (content/ai_usage.py): spend from recorded tokens, 80 % warning, 503 at
100 %, month reset, concurrency (threads against PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest

from content.ai_usage import ai_budget_status, ai_cost_usd
from content.models import AiBudgetMonth, AiGeneration, AiUsage, ContentAsset
from content.selectors import usage_month
from tests import factories
from tests.concurrency import run_concurrently
from tests.conftest import assert_error

URL = "/api/content/generate"
BODY = {"type": "CAPTION", "prompt": "Une légende pour ma photo de plage"}
PROMPT_TOKENS, COMPLETION_TOKENS = 42, 17  # what the stand-in reports for every completion


def generate(client, **extra):
    return client.post(URL, BODY, format="json", **extra)


@pytest.fixture
def seventeen_dollars_a_generation(settings):
    """Each stand-in completion costs exactly 17 USD; the budget is 20 USD."""
    settings.AI_PRICE_PER_1K_PROMPT = 0.0
    settings.AI_PRICE_PER_1K_COMPLETION = 1000.0
    settings.AI_MONTHLY_BUDGET_USD = 20.0
    settings.AI_MONTHLY_QUOTA_FREE = -1


@pytest.mark.django_db
def test_spend_is_the_recorded_tokens_at_the_configured_prices(client_for_user, ai_standin):
    assert generate(client_for_user).status_code == 201
    status = ai_budget_status()
    assert (status.prompt_tokens, status.completion_tokens) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    # GPT-4o's list prices by default: 2.50 and 10.00 USD per million tokens.
    assert status.spent_usd == Decimal("0.000275")  # 42 x 0.0025/1000 + 17 x 0.01/1000
    assert status.reserved_usd == 0 and status.in_flight == 0
    assert status.budget_usd == Decimal("20.0") and status.level == "ok"
    ledger = AiGeneration.objects.get()
    assert (ledger.prompt_tokens, ledger.completion_tokens) == (PROMPT_TOKENS, COMPLETION_TOKENS)


@pytest.mark.django_db
def test_deleting_or_editing_the_asset_does_not_give_the_spend_back(client_for_user, ai_standin):
    asset_id = generate(client_for_user).json()["id"]
    patch = client_for_user.patch(f"/api/content/{asset_id}", {"metadata": {}}, format="json")
    assert patch.status_code == 200
    assert client_for_user.delete(f"/api/content/{asset_id}").status_code == 204
    assert ai_budget_status().completion_tokens == COMPLETION_TOKENS
    assert AiGeneration.objects.get().asset_id is None


@pytest.mark.django_db
def test_80_percent_logs_once_and_100_percent_refuses_with_503(
    client_for_user, user, ai_standin, seventeen_dollars_a_generation, caplog
):
    caplog.set_level(logging.WARNING, logger="huntaze.content.ai_usage")
    assert generate(client_for_user).status_code == 201  # 17 of 20: past 80 %
    assert ai_budget_status().level == "warning"
    assert generate(client_for_user).status_code == 201  # admitted below 100 %, ends at 34
    assert ai_budget_status().level == "exhausted"
    calls = ai_standin.count

    error = assert_error(generate(client_for_user), 503, "service_unavailable")
    assert "budget IA du mois est épuisé" in error["message"]
    assert ai_standin.count == calls  # the model is not called
    assert AiUsage.objects.get(user=user).count == 2  # the refused one took no quota slot
    budget = AiBudgetMonth.objects.get()
    assert budget.in_flight == 0 and budget.reserved_usd == 0

    messages = [r.getMessage() for r in caplog.records if r.name == "huntaze.content.ai_usage"]
    assert messages == [
        "AI budget at 80 %",
        "AI budget exhausted: generation refused until the month turns",
    ]


@pytest.mark.django_db
def test_the_refusal_is_translated(client_for_user, ai_standin, settings):
    settings.AI_MONTHLY_BUDGET_USD = 0
    english = assert_error(
        generate(client_for_user, HTTP_ACCEPT_LANGUAGE="en"), 503, "service_unavailable"
    )
    assert english["message"].startswith("This month's AI budget is used up")
    french = assert_error(generate(client_for_user), 503, "service_unavailable")
    assert french["message"].startswith("Le budget IA du mois est épuisé")
    assert ai_standin.count == 0


@pytest.mark.django_db
def test_raising_the_budget_or_a_new_month_lets_generation_resume(
    client_for_user, ai_standin, seventeen_dollars_a_generation, settings
):
    month = usage_month()
    AiBudgetMonth.objects.create(month=month, completion_tokens=20)  # 20 USD: all of it
    assert_error(generate(client_for_user), 503, "service_unavailable")
    settings.AI_MONTHLY_BUDGET_USD = 40.0
    assert generate(client_for_user).status_code == 201

    # Last month's exhausted budget does not count this month.
    AiBudgetMonth.objects.all().delete()
    last_month = (month - dt.timedelta(days=1)).replace(day=1)
    AiBudgetMonth.objects.create(month=last_month, completion_tokens=1000)
    assert generate(client_for_user).status_code == 201


@pytest.mark.django_db
def test_unlimited_budget_still_counts(client_for_user, ai_standin, settings):
    settings.AI_MONTHLY_BUDGET_USD = -1
    AiBudgetMonth.objects.create(month=usage_month(), completion_tokens=10**9)
    assert generate(client_for_user).status_code == 201
    status = ai_budget_status()
    assert status.budget_usd is None and status.level == "ok"
    assert status.completion_tokens == 10**9 + COMPLETION_TOKENS


@pytest.mark.django_db
def test_a_failed_generation_gives_its_reservation_and_slot_back(client_for_user, user, ai_standin):
    ai_standin.default = "500"
    assert_error(generate(client_for_user), 503, "service_unavailable")
    budget = AiBudgetMonth.objects.get()
    assert (budget.in_flight, budget.reserved_usd, budget.completion_tokens) == (0, 0, 0)
    assert AiUsage.objects.get(user=user).count == 0
    assert not AiGeneration.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_generations_never_pass_the_budget_by_more_than_those_in_flight(
    ai_standin, settings
):
    """Ten creators at once on a budget that holds 3.5 worst-case generations: the month's row
    lock orders the admissions, so exactly 4 are let in while all are in flight."""
    settings.AI_MONTHLY_QUOTA_FREE = -1
    ai_standin.delay = 0.5  # everyone is in flight together
    worst = _worst_case()
    settings.AI_MONTHLY_BUDGET_USD = float(worst * Decimal("3.5"))
    clients = [factories.auth_client(factories.make_user()) for _ in range(10)]
    statuses = run_concurrently(
        lambda client: generate(client).status_code, args=[(c,) for c in clients]
    )

    assert sorted(statuses) == [201] * 4 + [503] * 6, statuses
    assert ai_standin.count == 4
    assert ContentAsset.objects.count() == AiGeneration.objects.count() == 4
    budget = AiBudgetMonth.objects.get()
    assert (budget.in_flight, budget.reserved_usd) == (0, 0)
    assert budget.completion_tokens == 4 * COMPLETION_TOKENS
    assert sum(AiUsage.objects.values_list("count", flat=True)) == 4


def _worst_case() -> Decimal:
    from content import prompts
    from content.ai_usage import _worst_case_usd

    return _worst_case_usd(BODY["prompt"], prompts.system_prompt(BODY["type"]))


def test_cost_rounds_to_the_micro_dollar(settings):
    settings.AI_PRICE_PER_1K_PROMPT = 0.0025
    settings.AI_PRICE_PER_1K_COMPLETION = 0.01
    assert ai_cost_usd(prompt_tokens=1_000_000, completion_tokens=1_000_000) == Decimal("12.5")
    assert ai_cost_usd(prompt_tokens=1, completion_tokens=0) == Decimal("0.000002")
