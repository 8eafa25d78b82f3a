"""Reservations of generations that never ended (a worker killed mid-answer) are released by
the periodic sweep (content/ai_usage.py ``ai_reservations_release_stale``); a generation that
ends after the sweep gives nothing back twice. The sweep run by the real worker process is in
tests/jobs/test_periodic.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from content import ai_client
from content.ai_usage import (
    ai_generation_admit,
    ai_generation_release,
    ai_generation_settle,
    ai_reservation_bound,
    ai_reservations_release_stale,
)
from content.models import AiBudgetMonth, AiReservation, AiUsage, ContentAsset
from tests import factories

pytestmark = pytest.mark.django_db


def _admit(user):
    return ai_generation_admit(user=user, prompt="Une légende pour ma photo de plage")


def _age(reservation, seconds: float) -> None:
    AiReservation.objects.filter(pk=reservation.id).update(
        created_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_a_dead_generations_slot_and_reservation_are_released_past_the_bound(settings):
    settings.AI_MONTHLY_QUOTA_FREE = 5
    user, other = factories.make_user(), factories.make_user()
    dead = _admit(user)
    alive = _admit(other)
    budget = AiBudgetMonth.objects.get()
    assert budget.in_flight == 2 and budget.reserved_usd == dead.reserved_usd * 2
    bound = ai_reservation_bound().total_seconds()
    assert bound > settings.AI_TOTAL_DEADLINE_SECONDS
    _age(dead, bound + 1)
    _age(alive, bound - 30)  # still within its bound: left alone

    assert ai_reservations_release_stale() == 1

    budget.refresh_from_db()
    assert (budget.in_flight, budget.reserved_usd) == (1, alive.reserved_usd)
    assert AiUsage.objects.get(user=user).count == 0  # the dead generation's slot is back
    assert AiUsage.objects.get(user=other).count == 1
    assert list(AiReservation.objects.values_list("pk", flat=True)) == [alive.id]
    assert ai_reservations_release_stale() == 0  # nothing twice


def test_a_generation_ending_after_the_sweep_gives_nothing_back_twice():
    user, other = factories.make_user(), factories.make_user()
    late_fail, late_success, alive = _admit(user), _admit(user), _admit(other)
    _age(late_fail, 10_000)
    _age(late_success, 10_000)
    assert ai_reservations_release_stale() == 2

    ai_generation_release(reservation=late_fail, error=RuntimeError("late"))
    asset = ContentAsset.objects.create(user=user, title="t", content="c", type="CAPTION")
    completion = ai_client.Completion(text="c", prompt_tokens=3, completion_tokens=4, model="m")
    ai_generation_settle(reservation=late_success, asset=asset, completion=completion)

    budget = AiBudgetMonth.objects.get()
    # Only the generation still alive is reserved; the late success's tokens are counted.
    assert (budget.in_flight, budget.reserved_usd) == (1, alive.reserved_usd)
    assert (budget.prompt_tokens, budget.completion_tokens) == (3, 4)
    assert AiUsage.objects.get(user=user).count == 0  # the sweep gave both slots back once
    assert alive.reserved_usd > Decimal(0)
