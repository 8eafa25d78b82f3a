"""The direct output of the hot paths' serializers is exactly DRF's generic output.

``UserOutput`` (sign-in, /me, the profile), ``SubscriptionOutput`` and ``ProfileOutput`` build
their dict directly (huntaze/fields.py: iso_datetime, choice_value); each is compared here with
the generic ModelSerializer/Serializer path, as dicts and as rendered JSON bytes, on
representative rows: nulls, empty strings, unicode, microseconds, a non-UTC datetime, a
TextChoices member, with and without a subscription record.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from accounts.models import Plan, Role
from accounts.serializers.auth import UserOutput
from billing.models import SubscriptionRecord, SubscriptionStatus
from billing.selectors import subscription_summary
from billing.serializers import SubscriptionOutput
from members.selectors import user_profile
from members.serializers import ProfileOutput, ProfileStatsOutput

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _generic_user(user) -> dict:
    return serializers.ModelSerializer.to_representation(UserOutput(), user)


def _generic_subscription(summary) -> dict:
    return serializers.Serializer.to_representation(SubscriptionOutput(), summary)


def _same(direct, generic) -> None:
    assert direct == generic
    assert JSONRenderer().render(direct) == JSONRenderer().render(generic)


@pytest.fixture
def users(make_user):
    return [
        make_user(name="Zoë « Lumière » 🌅 \u2028", avatar="https://example.test/é.png"),
        make_user(name="", avatar=None, role=Role.ADMIN, subscription=Plan.ENTERPRISE),
        make_user(avatar="", created_at=dt.datetime(2024, 3, 31, 2, 30, 0, 1, tzinfo=PARIS)),
        make_user(created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),  # no microseconds
    ]


def test_user_output_is_the_generic_model_serializer_output(users):
    for user in users:
        user.refresh_from_db()
        _same(UserOutput(user).data, _generic_user(user))
        # and on a fresh instance whose created_at is the Python value, not the database's
        user.created_at = dt.datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=PARIS)
        _same(UserOutput(user).data, _generic_user(user))


SUMMARIES = [
    subscription_summary(None),  # FREE/ACTIVE as TextChoices members, null dates
    {
        "plan": "PRO",
        "status": SubscriptionStatus.PAST_DUE,
        "current_period_start": dt.datetime(2025, 2, 28, 23, 59, 59, 999999, tzinfo=dt.UTC),
        "current_period_end": dt.datetime(2025, 3, 30, 3, 0, tzinfo=PARIS),
        "cancel_at_period_end": True,
    },
    {
        "plan": Plan.ENTERPRISE,
        "status": "CANCELED",
        "current_period_start": None,
        "current_period_end": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        "cancel_at_period_end": False,
    },
]


@pytest.mark.parametrize("summary", SUMMARIES)
def test_subscription_output_is_the_generic_serializer_output(summary):
    _same(SubscriptionOutput(summary).data, _generic_subscription(summary))


def test_profile_output_is_the_generic_composition(users):
    rich = users[0]
    SubscriptionRecord.objects.create(
        user=rich,
        plan=Plan.PRO,
        status=SubscriptionStatus.ACTIVE,
        current_period_start=dt.datetime(2025, 5, 1, 8, 0, 0, 5, tzinfo=dt.UTC),
        current_period_end=None,
        cancel_at_period_end=True,
        stripe_subscription_id="sub_direct",
    )
    for user in users:
        profile = user_profile(user=user)
        generic = _generic_user(profile["user"])
        generic["subscription_record"] = _generic_subscription(profile["subscription_record"])
        generic["stats"] = serializers.Serializer.to_representation(
            ProfileStatsOutput(), profile["stats"]
        )
        _same(ProfileOutput(profile).data, generic)
