"""The invite email, sent by the job worker (docs/jobs.md; queued by ``invite_send``)."""

from __future__ import annotations

import asyncio

from invites.services import (
    SEND_INVITE,
    invite_delivery_claim,
    invite_delivery_done,
    invite_delivery_failed,
)
from jobs.email import EMAIL_RETRY, email_deliver
from jobs.queue import JobContext, app, db


@app.task(name=SEND_INVITE, retry=EMAIL_RETRY, pass_context=True)
async def send_invite(context: JobContext, *, invite_id: str) -> str:
    """Claim the invite's delivery, hand its email to the mail server (in a thread: no
    database connection is held while SMTP answers), record the outcome.

    A temporary failure is re-raised after it is recorded: the retry schedule runs the job again
    (``EMAIL_RETRY_DELAYS``); once it is spent the invite's email is ``failed``.
    """
    job_id = context.job.id
    message = await db(invite_delivery_claim)(invite_id=invite_id, job_id=job_id)
    if message is None:
        return "nothing to send"
    try:
        await asyncio.to_thread(email_deliver, message)
    except Exception as exc:
        final = not EMAIL_RETRY.will_retry(exception=exc, context=context)
        await db(invite_delivery_failed)(invite_id=invite_id, job_id=job_id, error=exc, final=final)
        raise
    await db(invite_delivery_done)(invite_id=invite_id, job_id=job_id)
    return "sent"
