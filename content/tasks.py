"""Content's jobs (docs/jobs.md): the sweep of AI budget reservations left by dead generations,
and the recording of billed tokens a web request could not record."""

from __future__ import annotations

from content.ai_usage import (
    AI_USAGE_RETRY,
    RECORD_AI_USAGE,
    BilledUsage,
    ai_reservations_release_stale,
    ai_usage_record,
)
from jobs.queue import app, db


@app.periodic(cron="*/5 * * * *")
@app.task(
    name="content.release_stale_ai_reservations",
    queueing_lock="content.release_stale_ai_reservations",
)
async def release_stale_ai_reservations(timestamp: int) -> int:
    """Every 5 minutes: give back the quota slot and budget reservation of each generation
    admitted longer ago than its time bound and never ended (its web worker died)."""
    return await db(ai_reservations_release_stale)()


@app.task(name=RECORD_AI_USAGE, retry=AI_USAGE_RETRY)
async def record_ai_usage(**usage: object) -> str:
    """Record the tokens Azure billed for a generation whose web request could not (its
    database work failed after the model answered): on the month's budget, with its reservation
    and quota slot given back, once however many times it runs (content/ai_usage.py)."""
    recorded = await db(ai_usage_record)(usage=BilledUsage.from_job_kwargs(usage))
    return "recorded" if recorded else "already recorded"
