"""The job queue on /metrics (docs/operations.md, Jobs): queued and running jobs by task, the
oldest due job's wait, and runs by task and outcome, read from the database at scrape time."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from invites.services import invite_send
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def _value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} not in /metrics"
    return float(match.group(1))


@pytest.fixture
def mail_server_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def test_queue_depth_oldest_due_job_and_outcomes_by_task(
    scrape, make_invite, mail_server_down, run_jobs
):
    text = scrape()
    assert _value(text, "huntaze_job_oldest_due_seconds") == 0  # nothing waits

    invite_send(invites=[make_invite(), make_invite()])
    with connection.cursor() as cursor:  # deferred a quarter of an hour ago: no worker ran
        cursor.execute("UPDATE procrastinate_events SET at = now() - interval '15 minutes'")
    text = scrape()
    assert _value(text, 'huntaze_jobs_queued{task="invites.send_invite"}') == 2
    assert 899 <= _value(text, "huntaze_job_oldest_due_seconds") <= 960

    run_jobs()  # the mail server is down: both are tried again later
    text = scrape()
    assert _value(text, 'huntaze_jobs_total{outcome="retried",task="invites.send_invite"}') == 2
    assert _value(text, 'huntaze_jobs_queued{task="invites.send_invite"}') == 2  # scheduled
    assert _value(text, "huntaze_job_oldest_due_seconds") == 0  # not due before their retry
