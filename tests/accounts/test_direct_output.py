"""The direct output of the hot paths' serializers is exactly DRF's generic output.

``UserOutput`` (sign-in, /me, the profile), ``SubscriptionOutput``, ``ProfileOutput``,
``ExportUserOutput`` and ``ContentAssetOutput`` render through ``huntaze.fields.DirectOutput``
from their one declaration of fields; each is compared here with DRF's generic path (nested
serializers included), as dicts and as rendered JSON bytes, on representative rows: nulls,
empty strings, unicode, microseconds, a non-UTC datetime, a TextChoices member, with and
without a subscription record. A field type DirectOutput cannot render is refused when the
class is created.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from accounts.models import Plan, Role
from accounts.serializers.auth import UserOutput
from billing.models import SubscriptionRecord, SubscriptionStatus
from billing.selectors import subscription_summary
from billing.serializers import SubscriptionOutput
from huntaze.fields import DirectOutput
from members.selectors import profile_user_read, user_export
from members.serializers import ExportUserOutput, ProfileOutput

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _generic(serializer: serializers.Serializer, instance) -> dict:
    """DRF's own ``Serializer.to_representation``, nested serializers included (DRF's loop:
    each readable field's attribute, None as None, else the field's output)."""
    result = {}
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        value = field.get_attribute(instance)
        if value is None:
            result[name] = None
        elif isinstance(field, serializers.Serializer):
            result[name] = _generic(field, value)
        else:
            result[name] = field.to_representation(value)
    return result


def _generic_user(user) -> dict:
    return _generic(UserOutput(), user)


def _generic_subscription(summary) -> dict:
    return _generic(SubscriptionOutput(), summary)


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
        profile = profile_user_read(user.pk)
        _same(ProfileOutput(profile).data, _generic(ProfileOutput(), profile))
        assert ProfileOutput(profile).data["subscription_record"] == _generic_subscription(
            subscription_summary(getattr(user, "subscription_record", None))
        )


def test_a_subclass_renders_its_own_fields_directly(users):
    """``ExportUserOutput`` adds ``updated_at`` to ``UserOutput``: declared once, rendered."""
    for user in users:
        exported = user_export(user=user)["user"]
        direct = ExportUserOutput(exported).data
        _same(direct, _generic(ExportUserOutput(), exported))
        assert list(direct) == [*UserOutput.Meta.fields, "updated_at"]


def test_a_field_it_cannot_render_is_refused_when_the_class_is_made():
    with pytest.raises(ImproperlyConfigured, match="cannot be rendered directly"):

        class _Broken(DirectOutput, serializers.Serializer):
            key = serializers.SerializerMethodField()

            def get_key(self, obj):
                return "x"
