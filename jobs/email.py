"""Every email goes through the queue (docs/jobs.md, Emails).

- ``email_queue(message=..., kind=...)``: store a rendered email (``OutboundEmail``) and defer
  the job that sends it (``jobs.tasks.send_email``), in the caller's transaction. allauth's
  emails come this way (``accounts.adapter``).
- ``email_deliver(message)``: hand one message to the mail server (``EMAIL_URL``), raising on
  any failure. Run in a thread of its own, without the database: jobs call it with
  ``asyncio.to_thread``.
- ``email_is_transient(exc)``: whether a failure is worth another try (an SMTP 4xx answer, a
  dropped or refused connection, a timeout, the database briefly away) or final (an SMTP 5xx
  answer, such as an unknown mailbox, or a bug).
- ``EMAIL_RETRY``: the schedule of those tries (``EMAIL_RETRY_DELAYS``).
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core import mail
from django.db import InterfaceError, OperationalError

from huntaze.logging import scrub
from jobs.models import OutboundEmail
from jobs.queue import RetrySchedule, job_defer

logger = logging.getLogger("huntaze.jobs")

SEND_EMAIL = "jobs.send_email"  # the job of a stored email (jobs/tasks.py)
ERROR_MAX = 500  # the length of the columns that keep an error for staff


def email_is_transient(exc: BaseException) -> bool:
    """True for a failure another try may get past; False for a final one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):  # connect, HELO, sender, data, auth
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):  # e.g. SMTPNotSupportedError: configuration
        return False
    # Refused or reset connections, timeouts, name resolution: all OSError; and the database.
    return isinstance(exc, OSError | OperationalError | InterfaceError)


EMAIL_RETRY = RetrySchedule(delays=lambda: settings.EMAIL_RETRY_DELAYS, retry_if=email_is_transient)


def email_error_text(exc: BaseException) -> str:
    """What staff see of a failed delivery: the exception type and message, credentials
    scrubbed (an SMTP error can quote the server's answer), cut to the column's length."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        text = f"{type(exc).__name__}: {exc.smtp_code} {detail}"
    else:
        text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return scrub(text)[:ERROR_MAX]


def email_deliver(message: mail.EmailMessage) -> None:
    """Send ``message`` with the configured backend; raise on any failure (never silent).

    Once the server has accepted the message, a failure to close the connection (a dropped
    ``QUIT``) is only logged: raising would make the job send the email a second time.
    """
    connection = mail.get_connection(fail_silently=False)
    connection.open()
    try:
        if connection.send_messages([message]) != 1:
            raise smtplib.SMTPException("the mail backend did not accept the message")
    finally:
        try:
            connection.close()
        except Exception as exc:
            logger.warning("email: could not close the mail connection (%s)", type(exc).__name__)


def email_queue_unrendered(*, kind: str, to: str, task_name: str) -> int:
    """Store a request for an email that the job ``task_name`` renders when it sends it, and
    defer that job with the row's id, in the current transaction. The password reset comes this way:
    whether the address has an account is looked up by the worker, so the request does the
    same work either way (docs/auth.md)."""
    row = OutboundEmail.objects.create(kind=kind[:64], to=to)
    job_defer(task_name, email_id=row.pk)
    return row.pk


def email_queue(*, message: mail.EmailMessage, kind: str) -> int:
    """Store ``message`` and defer its delivery, in the current transaction; the row's id.

    ``kind`` is a fixed word (``account_confirmation`` …): it names the email in the job's
    bookkeeping, never its recipient.
    """
    html = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html = content
    row = OutboundEmail.objects.create(
        kind=kind[:64],
        to=",".join(message.to),
        subject=message.subject,
        body=message.body,
        html=html,
        from_email=message.from_email or "",
    )
    job_defer(SEND_EMAIL, email_id=row.pk)
    return row.pk


def outbound_load(email_id: int) -> OutboundEmail | None:
    """A stored email, or None once it was sent (a job run a second time)."""
    return OutboundEmail.objects.filter(pk=email_id).first()


def outbound_done(email_id: int) -> None:
    """The email was sent: its row (and the links it holds) goes."""
    OutboundEmail.objects.filter(pk=email_id).delete()


def outbound_message(row: OutboundEmail) -> mail.EmailMultiAlternatives:
    """The message a stored ``OutboundEmail`` row describes."""
    message = mail.EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[address for address in row.to.split(",") if address],
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    return message
