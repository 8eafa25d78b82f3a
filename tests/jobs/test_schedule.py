"""The production retry schedule of emails, as numbers (docs/jobs.md): the tests run a shorter
one, so the real one is checked here as data."""

from __future__ import annotations

import smtplib
import socket

import pytest
from django.db import OperationalError

from huntaze.settings.base import EMAIL_RETRY_DELAYS
from jobs.email import EMAIL_RETRY, email_is_transient


def test_the_first_retry_comes_within_a_minute_and_the_tries_last_over_an_hour():
    delays = EMAIL_RETRY_DELAYS
    assert delays[0] <= 60
    assert max(delays) <= 15 * 60  # never more than 15 minutes between two tries
    assert delays == sorted(delays)  # growing
    assert sum(delays) >= 3600  # the last try at least an hour after the first
    assert sum(delays[:-1]) < 3600  # and not much later: one try past the hour


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPSenderRefused(421, b"try again later", "a@b"), True),
        (smtplib.SMTPRecipientsRefused({"a@b": (450, b"mailbox busy")}), True),
        (smtplib.SMTPConnectError(421, b"too many connections"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror(-3, "name resolution"), True),
        (OperationalError("the database is away"), True),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such mailbox")}), False),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPNotSupportedError("no STARTTLS"), False),
        (ValueError("a bug"), False),
    ],
)
def test_which_failures_are_tried_again(error, transient):
    assert email_is_transient(error) is transient


def test_the_schedule_runs_out(settings):
    settings.EMAIL_RETRY_DELAYS = [30, 60]
    error = ConnectionRefusedError()
    assert [EMAIL_RETRY.next_delay(exception=error, attempts=n) for n in range(3)] == [
        30,
        60,
        None,
    ]
    assert EMAIL_RETRY.next_delay(exception=ValueError(), attempts=0) is None
