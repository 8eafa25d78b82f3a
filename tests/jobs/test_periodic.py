"""The periodic jobs run by the real worker (docs/jobs.md, Periodic jobs): a worker that starts
defers the last run of each one it missed (within a day), so these run within seconds here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from content.ai_usage import ai_generation_admit, ai_reservation_bound
from content.models import AiBudgetMonth, AiReservation, AiUsage
from tests import factories
from tests.jobs.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_sweep_releases_a_dead_generations_reservation_and_the_purges_run(
    start_worker, settings
):
    settings.AI_MONTHLY_QUOTA_FREE = 5
    creator = factories.make_user()
    # A generation admitted, then its web worker died: neither settled nor released.
    dead = ai_generation_admit(user=creator, prompt="Une légende pour ma photo de plage")
    AiReservation.objects.filter(pk=dead.id).update(
        created_at=timezone.now() - ai_reservation_bound() - dt.timedelta(seconds=5)
    )
    gone = factories.make_user(email="gone@example.test")
    type(gone).objects.filter(pk=gone.pk).update(deleted_at=timezone.now() - dt.timedelta(days=31))
    budget = AiBudgetMonth.objects.get()
    assert budget.in_flight == 1 and budget.reserved_usd > 0

    start_worker()

    wait_until(lambda: not AiReservation.objects.exists())
    budget.refresh_from_db()
    assert (budget.in_flight, budget.reserved_usd) == (0, 0)
    assert AiUsage.objects.get(user=creator).count == 0  # the creator's slot is back
    wait_until(lambda: not type(gone).objects.filter(pk=gone.pk).exists())  # daily purge
    wait_until(
        lambda: (
            {
                "content.release_stale_ai_reservations",
                "accounts.purge_deleted_users",
                "accounts.purge_expired_tokens",
            }
            <= set(
                ProcrastinateJob.objects.filter(status="succeeded").values_list(
                    "task_name", flat=True
                )
            )
        )
    )
