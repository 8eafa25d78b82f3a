"""The worker process: ``manage.py worker``, the Procfile's ``worker:`` line (docs/jobs.md).

- **Connections: two.** Procrastinate's own pool (fetching jobs, finishing them, heartbeats,
  periodic defers) holds one connection, and polls for due jobs every ``JOB_POLL_SECONDS``
  rather than keeping a second one for ``LISTEN``; the jobs' Django work runs on one thread
  with one persistent connection (``jobs.queue.db``). ``gunicorn.conf.py`` counts these two in
  the instance's budget of ten.
- **Concurrency.** ``JOB_WORKER_CONCURRENCY`` jobs at once: they mostly wait on SMTP, each in a
  thread of its own.
- **Stopping (SIGTERM, SIGINT).** The worker stops taking jobs and waits for the ones running
  to finish (an email is bounded by ``EMAIL_TIMEOUT`` per SMTP step), then exits: a clean
  restart sends nothing twice and loses nothing. A second signal, or SIGKILL, ends it at once;
  the jobs it was running are then run again by ``jobs.tasks.retry_stalled_jobs`` on the next
  worker (an email whose delivery was cut at that instant may be sent twice).
- **Bookkeeping.** Every job's outcome (succeeded, retried, failed) is counted per task in
  ``jobs_outcome_counts`` and the last error of a failing job kept in ``jobs_errors``
  (``record_outcome``), for ``/metrics`` and the admin.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone
from procrastinate import PsycopgConnector
from procrastinate.contrib.django.utils import connector_params

from jobs.email import email_error_text
from jobs.models import JobError, JobOutcomeCount
from jobs.queue import app, db

logger = logging.getLogger("huntaze.jobs")

WORKER_NAME = "huntaze"


def _count(task_name: str, outcome: str) -> None:
    updated = JobOutcomeCount.objects.filter(task_name=task_name, outcome=outcome).update(
        count=F("count") + 1
    )
    if not updated:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO jobs_outcome_counts AS c (task_name, outcome, count) "
                "VALUES (%s, %s, 1) ON CONFLICT (task_name, outcome) "
                "DO UPDATE SET count = c.count + 1",
                [task_name, outcome],
            )


def outcome_record(
    *, job_id: int, task_name: str, error: BaseException | None, retry: bool
) -> None:
    """Count a finished run of a job and keep the error of a failed one."""
    if error is None:
        _count(task_name, JobOutcomeCount.Outcome.SUCCEEDED)
        return
    outcome = JobOutcomeCount.Outcome.RETRIED if retry else JobOutcomeCount.Outcome.FAILED
    _count(task_name, outcome)
    JobError.objects.update_or_create(
        job_id=job_id,
        defaults={"error": email_error_text(error), "final": not retry, "at": timezone.now()},
    )


async def record_outcome(call_next, context, worker) -> Any:
    """Worker middleware (around every job, on the event loop): ``outcome_record``."""
    job = context.job
    try:
        result = await call_next()
    except BaseException as exc:
        task = worker.app.tasks.get(job.task_name)
        retry = bool(task and task.get_retry_exception(exception=exc, job=job))
        try:
            await db(outcome_record)(job_id=job.id, task_name=job.task_name, error=exc, retry=retry)
        except Exception:  # the job's own failure is what matters
            logger.exception("could not record a job's failure")
        raise
    try:
        await db(outcome_record)(job_id=job.id, task_name=job.task_name, error=None, retry=False)
    except Exception:
        logger.exception("could not record a job's success")
    return result


def worker_options(*, concurrency: int | None = None, wait: bool = True) -> dict[str, Any]:
    """The options every worker runs with (the Procfile's and the tests' in-process one)."""
    return {
        "name": WORKER_NAME,
        "concurrency": concurrency or settings.JOB_WORKER_CONCURRENCY,
        "wait": wait,
        "listen_notify": False,
        "fetch_job_polling_interval": settings.JOB_POLL_SECONDS,
        # None: on SIGTERM the running jobs finish, however long (each is bounded by its own
        # timeouts); the process manager's stop timeout sits above (docs/deploy.md).
        "shutdown_graceful_timeout": None,
        "worker_middleware": [record_outcome],
    }


def worker_connector() -> PsycopgConnector:
    """Procrastinate's connection for the worker: Django's database settings, a pool of one."""
    return PsycopgConnector(
        kwargs=connector_params("default"),
        min_size=1,
        max_size=1,
        name="procrastinate",
    )


def worker_run(*, concurrency: int | None = None, wait: bool = True) -> None:
    """Run the worker until SIGTERM/SIGINT (or, with ``wait=False``, until no job is due)."""

    async def run() -> None:
        with app.replace_connector(worker_connector()):
            async with app.open_async():
                await app.run_worker_async(**worker_options(concurrency=concurrency, wait=wait))

    asyncio.run(run())
