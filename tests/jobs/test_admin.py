"""The admin's failed jobs (docs/jobs.md, Seeing it): each with its error, and a Retry action
that puts it back in the queue."""

from __future__ import annotations

import pytest
from django.core import mail
from procrastinate.contrib.django.models import ProcrastinateJob

from invites.services import invite_send

pytestmark = pytest.mark.django_db

FAILED = "/admin/jobs/failedjob/"


@pytest.mark.django_db(transaction=True)  # the retry is due at the clock's now(), not the test's
def test_a_failed_job_is_listed_with_its_error_and_can_be_retried(
    client, make_admin, make_invite, settings, run_jobs
):
    settings.EMAIL_BACKEND = "tests.invites.mail_backends.RejectingBackend"
    invite = make_invite(email="nobody@rejected.test")
    invite_send(invites=[invite])
    run_jobs()  # a 550 answer: failed at once
    job = ProcrastinateJob.objects.get(task_name="invites.send_invite")
    assert job.status == "failed"

    client.force_login(make_admin())
    page = client.get(FAILED).content.decode()
    assert "invites.send_invite" in page and "SMTPRecipientsRefused: " in page and "550" in page
    assert "nobody@rejected.test" not in page.split("SMTPRecipientsRefused")[0]  # ids only
    assert client.get(FAILED, HTTP_ACCEPT_LANGUAGE="en").status_code == 200

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # fixed
    response = client.post(
        FAILED, {"action": "retry_jobs", "_selected_action": [job.pk]}, follow=True
    )
    assert "1 tâche relancée" in response.content.decode()
    assert ProcrastinateJob.objects.get(pk=job.pk).status == "todo"
    run_jobs()
    assert [m.to for m in mail.outbox] == [["nobody@rejected.test"]]
    assert "invites.send_invite" not in client.get(FAILED).content.decode()


def test_creators_do_not_see_the_jobs(client, make_user):
    client.force_login(make_user())
    assert client.get(FAILED).status_code == 302  # to the admin's sign-in
