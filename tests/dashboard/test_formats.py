"""The Beta dashboard reads like the rest of the admin (dashboard/charts.py, huntaze/l10n.py):
figures grouped by language (French 4 737, English 4,737), whole-number ticks on the axes that
count people and assets, one date format per language, Paris days, the plans' own names."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from content.models import AiBudgetMonth
from content.selectors import usage_month
from dashboard.charts import axis_ticks

URL = "/admin/beta/"


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (3, [0, 1, 2, 3]),
        (5, [0, 1, 2, 3, 4, 5]),
        (7, [0, 2, 4, 6, 8]),
        (45, [0, 10, 20, 30, 40, 50]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_count_axes_have_whole_ticks(peak, ticks):
    assert axis_ticks(peak, whole=True) == ticks
    assert all(isinstance(tick, int) for tick in axis_ticks(peak, whole=True))


def test_money_axes_may_have_fractions():
    assert axis_ticks(0.147, whole=False)[:3] == [0, 0.05, 0.1]
    assert axis_ticks(21, whole=False) == [0, 5, 10, 15, 20, 25]


@pytest.fixture
def staff(make_admin):
    client = Client()
    client.force_login(make_admin())
    return client


def _figure(html: str, section: str, label: str) -> str:
    block = html[html.index(f'id="{section}"') :]
    match = re.search(rf"<strong>([^<]+)</strong><span>{label}", block)
    return match.group(1)


@pytest.mark.django_db
def test_figures_by_language(staff):
    AiBudgetMonth.objects.create(month=usage_month(), prompt_tokens=4737, completion_tokens=12832)
    french = staff.get(URL).content.decode()
    assert _figure(french, "ai", "jetons de prompt") == "4\u00a0737"
    assert _figure(french, "ai", "jetons de réponse") == "12\u00a0832"
    assert re.search(r"<strong>0,14\u00a0\$</strong>", french)  # 0.0118 + 0.12832 USD
    english = staff.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _figure(english, "ai", "prompt tokens") == "4,737"
    assert _figure(english, "ai", "completion tokens") == "12,832"
    assert "<strong>$0.14</strong>" in english


@pytest.mark.django_db
def test_axes_and_tooltips(staff, make_user):
    for _ in range(3):
        make_user()
    french = staff.get(URL).content.decode()
    signups = french[french.index('id="signups"') : french.index('id="funnel"')]
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', signups)
    assert ticks == ["0", "1", "2", "3"]  # never "1,5"
    days = re.findall(r'<text class="day"[^>]*>([^<]+)</text>', signups)
    assert all(re.fullmatch(r"\d\d/\d\d", day) for day in days), days
    assert "inscriptions : 3</title>" in signups
    english = staff.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    signups = english[english.index('id="signups"') : english.index('id="funnel"')]
    days = re.findall(r'<text class="day"[^>]*>([^<]+)</text>', signups)
    assert all(re.fullmatch(r"\d\d-\d\d", day) for day in days), days
    assert "sign-ups: 3</title>" in signups


@pytest.mark.django_db
def test_plans_have_the_names_of_the_users_list(staff, make_user):
    make_user(subscription="PRO")
    html = staff.get(URL).content.decode()
    plans = html[html.index('id="plans"') : html.index('id="database"')]
    assert "Gratuit" in plans and "Pro" in plans and "Entreprise" in plans
    assert "FREE" not in plans and "ENTERPRISE" not in plans and "PRO" not in plans
    assert "Pro payants" in plans


@pytest.mark.django_db
def test_days_are_paris_days(staff, make_user, settings):
    """A sign-up at 23:30 UTC is the next day in Paris: counted there, like every time the
    admin shows."""
    now = dt.datetime.now(dt.UTC)
    paris = ZoneInfo("Europe/Paris")
    late = (now - dt.timedelta(days=3)).replace(hour=23, minute=30)
    make_user(created_at=late)
    series = dict(staff.get(URL).context["signups_chart_data"])
    assert series[late.astimezone(paris).date()] == 1
    assert series[late.date()] == 0
    settings.ADMIN_TIME_ZONE = "UTC"
    series = dict(staff.get(URL).context["signups_chart_data"])
    assert series[late.date()] == 1
