"""Emails through the real worker process (``manage.py worker``, production settings), a real
SMTP server and the real database (docs/jobs.md): delivery after the commit only, retries until
the mail server comes back, failure once the tries are spent, and a worker stopped in the middle
of a batch then restarted sending each email once."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from invites.models import BetaInvite
from invites.services import invite_send
from jobs.models import JobError, JobOutcomeCount
from tests import factories
from tests.jobs.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _invite(email: str) -> BetaInvite:
    return factories.make_invite(email=email)


def _state(invite: BetaInvite) -> str | None:
    invite.refresh_from_db()
    return invite.email_state


def test_an_email_leaves_after_the_commit_and_never_for_a_rolled_back_change(smtp, start_worker):
    start_worker()
    kept, dropped = _invite("kept@example.test"), _invite("dropped@example.test")

    with pytest.raises(RuntimeError), transaction.atomic():
        invite_send(invites=[dropped])
        raise RuntimeError("the change is rolled back")

    with transaction.atomic():
        invite_send(invites=[kept])
        time.sleep(2)  # ten polls of the worker: the job is not visible before the commit
        assert smtp.recipients() == []

    assert smtp.wait_for(1) == ["kept@example.test"]
    wait_until(lambda: _state(kept) == "sent")
    assert kept.send_count == 1
    time.sleep(1)
    assert smtp.recipients() == ["kept@example.test"]  # never the rolled-back one
    assert _state(dropped) is None
    assert smtp.received[0][1]["To"] == "kept@example.test"
    assert kept.code in smtp.received[0][1].get_payload(0).get_payload(decode=True).decode()


def test_a_mail_server_that_is_down_then_says_try_later_gets_the_email_once_it_is_back(
    smtp, start_worker
):
    smtp.stop()  # down: connections refused
    start_worker()
    invite = _invite("patient@example.test")
    invite_send(invites=[invite])
    job = wait_until(lambda: ProcrastinateJob.objects.filter(attempts__gte=2).first())
    assert _state(invite) == "queued" and "ConnectionRefused" in invite.last_send_error

    smtp.refuse = True  # up, but answering 421
    smtp.start()
    wait_until(lambda: smtp.attempts >= 2)
    wait_until(lambda: "421" in BetaInvite.objects.get(pk=invite.pk).last_send_error)
    assert smtp.recipients() == [] and _state(invite) == "queued"

    smtp.refuse = False
    assert smtp.wait_for(1, timeout=30) == ["patient@example.test"]
    wait_until(lambda: _state(invite) == "sent")
    assert invite.send_count == 1 and invite.last_send_error == ""
    wait_until(lambda: ProcrastinateJob.objects.get(pk=job.pk).status == "succeeded")
    job.refresh_from_db()
    assert job.attempts >= 4
    retried = JobOutcomeCount.objects.get(task_name="invites.send_invite", outcome="retried")
    assert retried.count == job.attempts - 1
    time.sleep(1)
    assert smtp.recipients() == ["patient@example.test"]


def test_once_the_tries_are_spent_the_invite_fails_with_the_reason_and_staff_can_retry(
    smtp, start_worker, client, make_admin
):
    smtp.refuse = True
    start_worker(EMAIL_RETRY_DELAYS="1")  # two tries in all
    invite = _invite("unlucky@example.test")
    invite_send(invites=[invite])
    wait_until(lambda: _state(invite) == "failed", timeout=60)
    assert "421" in invite.last_send_error and smtp.attempts == 2
    job = wait_until(
        lambda: ProcrastinateJob.objects.filter(
            task_name="invites.send_invite", status="failed"
        ).first()
    )
    assert "421" in JobError.objects.get(job=job).error

    client.force_login(make_admin())
    page = client.get("/admin/jobs/failedjob/").content.decode()
    assert "invites.send_invite" in page and "421" in page
    smtp.refuse = False
    client.post("/admin/jobs/failedjob/", {"action": "retry_jobs", "_selected_action": [job.pk]})
    assert smtp.wait_for(1, timeout=30) == ["unlucky@example.test"]
    wait_until(lambda: _state(invite) == "sent")


def test_a_worker_stopped_mid_batch_and_restarted_sends_each_email_once(smtp, start_worker):
    smtp.delay = 0.5  # a slow mail server: the stop lands while messages are in flight
    invites = [_invite(f"batch{n}@example.test") for n in range(12)]
    worker = start_worker(JOB_WORKER_CONCURRENCY="3")
    invite_send(invites=invites)
    wait_until(lambda: len(smtp.recipients()) >= 3)

    assert worker.stop() == 0  # SIGTERM: running jobs finish, no new one starts
    first = len(smtp.recipients())
    assert 3 <= first < 12, first
    assert not ProcrastinateJob.objects.filter(status="doing").exists()
    assert not BetaInvite.objects.filter(email_status="sending").exists()
    assert BetaInvite.objects.filter(email_status="sent").count() == first

    start_worker(JOB_WORKER_CONCURRENCY="3")
    smtp.wait_for(12)
    wait_until(lambda: BetaInvite.objects.filter(email_status="sent").count() == 12)
    time.sleep(1)
    counts = Counter(smtp.recipients())
    assert sorted(counts) == sorted(i.email for i in invites)
    assert set(counts.values()) == {1}  # each email once
    assert set(BetaInvite.objects.values_list("send_count", flat=True)) == {1}
