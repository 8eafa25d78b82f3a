"""Accounts' jobs (docs/jobs.md): the password reset email, and the daily purges that
``manage.py purge_expired_tokens`` and ``purge_deleted_users`` also run on demand."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from django.conf import settings

from accounts.services.auth import SEND_PASSWORD_RESET, password_reset_messages
from accounts.services.mfa import mfa_challenges_purge
from accounts.services.tokens import refresh_tokens_purge
from accounts.services.users import users_purge_deleted
from jobs.email import EMAIL_RETRY, email_deliver, outbound_done, outbound_load
from jobs.queue import app, db


@app.task(name=SEND_PASSWORD_RESET, retry=EMAIL_RETRY)
async def send_password_reset(*, email_id: int) -> str:
    """Send the reset email asked for by ``POST /api/auth/password/reset`` if the address has a
    live account; nothing otherwise (the request cannot tell, docs/auth.md)."""
    row = await db(outbound_load)(email_id)
    if row is None:
        return "already sent"
    messages = await db(password_reset_messages)(email=row.to)
    for message in messages:
        await asyncio.to_thread(email_deliver, message)
    await db(outbound_done)(email_id)
    return "sent" if messages else "no account"


@app.periodic(cron="10 3 * * *")
@app.task(name="accounts.purge_expired_tokens", queueing_lock="accounts.purge_expired_tokens")
async def purge_expired_tokens(timestamp: int) -> int:
    """Daily: delete the refresh tokens that expired (``manage.py purge_expired_tokens``), and
    the two-factor sign-in challenges and set-ups that expired."""
    await db(mfa_challenges_purge)()
    return await db(refresh_tokens_purge)(older_than=timedelta(0))


@app.periodic(cron="20 3 * * *")
@app.task(name="accounts.purge_deleted_users", queueing_lock="accounts.purge_deleted_users")
async def purge_deleted_users(timestamp: int) -> int:
    """Daily: delete for good the users soft-deleted more than ``DELETED_USER_RETENTION_DAYS``
    ago, with their data (``manage.py purge_deleted_users``)."""
    return await db(users_purge_deleted)(days=settings.DELETED_USER_RETENTION_DAYS)
