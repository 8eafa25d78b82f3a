"""The queue's own jobs: sending a stored email, and housekeeping (docs/jobs.md)."""

from __future__ import annotations

import asyncio
import datetime as dt

from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from jobs.email import (
    EMAIL_RETRY,
    SEND_EMAIL,
    email_deliver,
    outbound_done,
    outbound_load,
    outbound_message,
)
from jobs.models import IdempotencyKey, JobError, OutboundEmail
from jobs.queue import JobContext, app, db

# Finished jobs kept for the admin and for looking back; failed ones longer (staff retry them).
SUCCEEDED_KEPT_HOURS = 7 * 24
FAILED_KEPT_HOURS = 30 * 24
# A worker whose heartbeat (every 10 s) is older than this died: its running jobs run again.
STALLED_AFTER_SECONDS = 30


@app.task(name=SEND_EMAIL, retry=EMAIL_RETRY)
async def send_email(*, email_id: int) -> str:
    """Send a stored email (``jobs.email.email_queue``), then delete it."""
    row = await db(outbound_load)(email_id)
    if row is None:
        return "already sent"  # a second run of a job whose first one finished
    await asyncio.to_thread(email_deliver, outbound_message(row))
    await db(outbound_done)(email_id)
    return "sent"


@app.periodic(cron="*/5 * * * *")
@app.task(
    name="jobs.retry_stalled_jobs", queueing_lock="jobs.retry_stalled_jobs", pass_context=True
)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Every 5 minutes, run again the jobs of a worker that died while running them (killed,
    machine lost): they stay ``doing`` until this. A stopping worker finishes its jobs first,
    so this only follows a crash (docs/jobs.md, The worker)."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS))
    for job in stalled:
        await manager.retry_job(job)
    return len(stalled)


@app.periodic(cron="40 3 * * *")
@app.task(name="jobs.remove_old_jobs", queueing_lock="jobs.remove_old_jobs", pass_context=True)
async def remove_old_jobs(context: JobContext, timestamp: int) -> None:
    """Delete finished jobs: succeeded after a week, failed after 30 days (with their errors
    and the emails they did not send), and idempotency keys after 30 days. The outcome counters
    of ``/metrics`` stay."""
    manager = context.app.job_manager
    await manager.delete_old_jobs(nb_hours=SUCCEEDED_KEPT_HOURS)
    await manager.delete_old_jobs(
        nb_hours=FAILED_KEPT_HOURS,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
    await db(_remove_orphans)()


def _remove_orphans() -> None:
    JobError.objects.exclude(job_id__in=ProcrastinateJob.objects.values("id")).delete()
    cutoff = timezone.now() - dt.timedelta(hours=FAILED_KEPT_HOURS)
    OutboundEmail.objects.filter(created_at__lt=cutoff).delete()
    IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
