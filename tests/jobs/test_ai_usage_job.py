"""The job that records billed AI tokens a web request could not (content/ai_usage.py), run by
the real worker process: its tries fail while the month's row stays locked, it is retried, and
once the row is free it records the tokens once (tests/content/test_ai_ledger.py has the rest)."""

from __future__ import annotations

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from content.ai_usage import RECORD_AI_USAGE
from tests.content.test_ai_ledger import (
    RowLock,
    assert_counted_once,
    generate,
    lock_bound,  # noqa: F401 (a fixture)
)
from tests.jobs.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _job() -> ProcrastinateJob:
    return ProcrastinateJob.objects.get(task_name=RECORD_AI_USAGE)


def test_the_worker_retries_the_job_until_the_row_is_free_then_records_once(
    start_worker,
    client_for_user,
    user,
    ai_standin,
    lock_bound,  # noqa: F811
):
    lock = RowLock()
    ai_standin.before_answer = lock.take
    try:
        assert generate(client_for_user, "json").status_code == 503
        # The worker has no lock bound of its own; the test database's (300 ms, lock_bound)
        # makes its tries fail while the row is held, as a database briefly away would.
        worker = start_worker(AI_USAGE_RETRY_DELAYS="1,1,1,1,1,1,1,1,1,1")
        wait_until(lambda: _job().attempts >= 2, timeout=60)
        assert _job().status == "todo"
    finally:
        lock.release()
    wait_until(lambda: _job().status == "succeeded", timeout=30)
    assert_counted_once(user, generations=1, slots=0)
    assert worker.stop() == 0
