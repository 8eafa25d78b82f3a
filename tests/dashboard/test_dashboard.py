"""The Beta dashboard (/admin/beta/): staff only, linked from the admin index, figures right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import SubscriptionRecord
from content.models import AiBudgetMonth, AiGeneration
from content.selectors import usage_month

pytestmark = pytest.mark.django_db
URL = "/admin/beta/"


@pytest.fixture
def staff(make_admin):
    client = Client()
    client.force_login(make_admin())
    return client


def test_anonymous_and_creators_are_sent_to_the_admin_login(make_user):
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    creator = Client()
    creator.force_login(make_user())
    response = creator.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_admin_index_links_to_the_dashboard(staff):
    response = staff.get("/admin/")
    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()


def test_an_empty_beta_renders_every_section(staff):
    response = staff.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("signups", "funnel", "activity", "ai", "plans", "database"):
        assert f'id="{section}"' in html
    assert html.count('<svg class="chart"') == 6
    assert '<script src="http' not in html and "cdn" not in html.lower()
    assert 'class="beta-alert' not in html


def test_figures(staff, make_user, make_invite, make_asset, settings):
    settings.PLAN_PRICE_PRO_MONTHLY_USD = 30.0
    settings.PLAN_PRICE_PRO_YEARLY_USD = 240.0
    settings.PLAN_PRICE_ENTERPRISE_MONTHLY_USD = 100.0
    now = timezone.now()
    recent = make_user(email="recent@example.test", last_login=now - dt.timedelta(days=2))
    older = make_user(email="older@example.test", last_login=now - dt.timedelta(days=20))
    make_user(email="gone@example.test", deleted_at=now, last_login=now)  # deleted: not active
    old_signup = make_user(email="old@example.test")
    old_signup.created_at = now - dt.timedelta(days=45)
    old_signup.save(update_fields=["created_at"])
    make_asset(user=old_signup)

    make_invite(email="recent@example.test", sent_at=now, used_at=now, used_by=recent)
    make_invite(email="x@example.test", sent_at=now)
    make_invite(email="y@example.test")
    make_invite(email="z@example.test")

    for user, plan, status, days in (
        (recent, "PRO", "ACTIVE", 30),
        (older, "PRO", "ACTIVE", 365),
        (old_signup, "ENTERPRISE", "PAST_DUE", 30),
    ):
        SubscriptionRecord.objects.create(
            user=user,
            plan=plan,
            status=status,
            current_period_start=now,
            current_period_end=now + dt.timedelta(days=days),
        )
        user.subscription = plan
        user.save(update_fields=["subscription"])
    AiGeneration.objects.create(
        user=recent, model="gpt-4o", prompt_tokens=1000, completion_tokens=1000
    )
    AiBudgetMonth.objects.create(month=usage_month(), prompt_tokens=1000, completion_tokens=1000)

    response = staff.get(URL)
    assert response.status_code == 200
    ctx = response.context
    # Creators who signed up in the last 30 days (the deleted one did sign up).
    assert sum(n for _d, n in ctx["signups_chart_data"]) == 3
    assert ctx["funnel"]["issued"] == 4 and ctx["funnel"]["used"] == 1
    assert ctx["funnel"]["conversion"] == 25.0
    # recent signed in 2 days ago, older 20 days ago; creating content is no sign of activity
    # of its own (accounts.selectors.user_active_q: sign-ins, renewals, API-key uses).
    assert ctx["active"] == {"last_7_days": 1, "last_30_days": 2}
    assert ctx["plans"].mix == {"FREE": 0, "PRO": 2, "ENTERPRISE": 1}  # deleted: left out
    # 30 (monthly PRO) + 240 / 12 (yearly PRO) + 100 (past-due ENTERPRISE still counted)
    assert str(ctx["plans"].mrr_usd) == "150.00"
    assert str(ctx["budget"].spent_usd) == "0.012500"
    assert ctx["ai"].generations == 1
    assert ctx["database"].healthy and ctx["database"].latency_ms is not None


@pytest.mark.parametrize(
    ("completion_tokens", "level", "text"),
    [
        (1_600_000, "warning", "Attention : 80,0\u00a0% du budget IA du mois est dépensé"),
        (2_000_000, "exhausted", "Budget IA du mois épuisé"),
    ],
)
def test_budget_warnings(staff, completion_tokens, level, text):
    # 1.6 M completion tokens at 10 USD a million: 16 of the default 20 USD.
    AiBudgetMonth.objects.create(month=usage_month(), completion_tokens=completion_tokens)
    response = staff.get(URL)
    html = response.content.decode()
    assert f'class="beta-alert {level}"' in html
    assert text in html


def test_the_dashboard_speaks_english_too(staff):
    AiBudgetMonth.objects.create(month=usage_month(), completion_tokens=1_600_000)
    html = staff.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Beta dashboard" in html and "of this month's AI budget is spent" in html
