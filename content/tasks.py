"""Content's jobs (docs/jobs.md): the sweep of AI budget reservations left by dead generations."""

from __future__ import annotations

from content.ai_usage import ai_reservations_release_stale
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
