"""One definition of "active" (accounts/selectors.py): the users' list filters and the Beta
dashboard's counts find the same creators, and "active" never includes someone who "never came
back" (the dashboard once counted 25 where the filter found 20, and counted active a creator
the list said never came back)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.selectors import (
    creators_active_counts,
    user_active_q,
    user_last_activity_annotation,
    user_never_back_q,
)
from tests import factories

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def people(make_user, make_admin):
    """Every edge of the rule, named by what should be found."""
    now = timezone.now()

    def creator(name, signed_up_days_ago, *, logins=(), renewals=(), key_use=None, **extra):
        user = make_user(
            email=f"{name}@example.test",
            created_at=now - dt.timedelta(days=signed_up_days_ago),
            **extra,
        )
        if logins:
            user.last_login = now - dt.timedelta(days=min(logins))
            user.save(update_fields=["last_login"])
        for days in renewals:
            factories.make_refresh_token(user=user, created_at=now - dt.timedelta(days=days))
        if key_use is not None:
            key, _raw = factories.make_api_key(user=user)
            key.last_used_at = now - dt.timedelta(days=key_use)
            key.save(update_fields=["last_used_at"])
        return user

    return {
        # came back yesterday, signed up long ago: active 7 and 30
        "regular": creator("regular", 60, renewals=(60, 40, 1)),
        # signed up 5 days ago, only the sign-up session: never came back, not active
        "ghost": creator("ghost", 5, renewals=(5,)),
        # signed up 5 days ago, came back 3 days later: active 7
        "returned": creator("returned", 5, renewals=(5, 2)),
        # signed up two hours ago: active (today is their first day)
        "fresh": creator("fresh", 0.08, renewals=(0.08,)),
        # came back 20 days ago through an API key only: active 30, not 7
        "scripted": creator("scripted", 90, key_use=20),
        # signed in 12 days ago (no renewal): active 30
        "signed_in": creator("signed_in", 50, logins=(12,)),
        # came back within the first day only (same day as sign-up + 12 h): never came back
        "same_day": creator("same_day", 10, renewals=(10, 9.6)),
        # active but deleted: not counted by the dashboard, not in the filtered list
        "deleted": creator("deleted", 60, renewals=(1,), deleted_at=now),
        # staff, active: the dashboard counts creators
        "staff": make_admin(email="staff@example.test", last_login=now - DAY),
    }


def _filtered(q) -> set[str]:
    users = User.objects.annotate(**user_last_activity_annotation()).filter(q)
    return set(users.values_list("email", flat=True))


def test_the_rule_and_its_edges(people):
    now = timezone.now()
    active7 = _filtered(user_active_q(days=7, now=now))
    active30 = _filtered(user_active_q(days=30, now=now))
    never_back = _filtered(user_never_back_q(now=now))
    names = {u.email: name for name, u in people.items()}
    assert {names[e] for e in active7} == {"regular", "returned", "fresh", "deleted", "staff"}
    assert {names[e] for e in active30} == {
        "regular",
        "returned",
        "fresh",
        "scripted",
        "signed_in",
        "deleted",
        "staff",
    }
    assert {names[e] for e in never_back} == {"ghost", "same_day"}
    assert not active30 & never_back


def test_the_dashboard_counts_what_the_filter_finds(people):
    now = timezone.now()
    counts = creators_active_counts(windows=(7, 30), now=now)
    for days in (7, 30):
        listed = (
            User.objects.annotate(**user_last_activity_annotation())
            .filter(user_active_q(days=days, now=now), role="CREATOR", deleted_at__isnull=True)
            .count()
        )
        assert counts[days] == listed, days
    assert counts == {7: 3, 30: 5}


def test_the_dashboard_figure_links_to_the_list_that_shows_it(people, make_admin):
    staff = Client()
    staff.force_login(make_admin())
    page = staff.get("/admin/beta/")
    for days in (7, 30):
        figure = page.context["active"][f"last_{days}_days"]
        url = page.context["active_urls"][days]
        assert f'href="{url.replace("&", "&amp;")}"' in page.content.decode()
        listed = staff.get(url)
        assert listed.context["cl"].result_count == figure, days
