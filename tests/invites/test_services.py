from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from huntaze.exceptions import Conflict, ValidationFailed
from invites.models import BetaInvite
from invites.services import (
    invite_code_generate,
    invite_delivery_claim,
    invite_delivery_done,
    invite_email_build,
    invite_emails_parse,
    invite_is_valid,
    invite_issue,
    invite_issue_many,
    invite_redeem,
    invite_revoke,
    invite_revoke_many,
    invite_send,
)
from jobs.models import JobError, JobOutcomeCount
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

HEX16 = re.compile(r"^[0-9A-F]{16}$")


def test_code_is_16_upper_hex_and_random():
    codes = {invite_code_generate() for _ in range(200)}
    assert len(codes) == 200
    assert all(HEX16.match(code) for code in codes)


def test_issue_stores_a_lower_cased_email_and_a_code(settings):
    settings.INVITE_EXPIRY_DAYS = 30
    invite, created = invite_issue(email="  New.Person@Example.TEST ")
    assert created
    invite.refresh_from_db()
    assert invite.email == "new.person@example.test"
    assert HEX16.match(invite.code)
    assert invite.status == "pending"
    delta = invite.expires_at - timezone.now()
    assert timedelta(days=29, hours=23) < delta <= timedelta(days=30)


def test_issue_honours_expires_in_days():
    invite, _ = invite_issue(email="a@example.test", expires_in_days=3)
    delta = invite.expires_at - timezone.now()
    assert timedelta(days=2, hours=23) < delta <= timedelta(days=3)


@pytest.mark.parametrize("days", [0, -1, 366, True, "5"])
def test_issue_refuses_expires_in_days_out_of_bounds(days):
    with pytest.raises(ValidationFailed) as exc:
        invite_issue(email="a@example.test", expires_in_days=days)
    assert "expires_in_days" in exc.value.fields
    assert not BetaInvite.objects.exists()


@pytest.mark.parametrize("email", ["", "nope", "a@", "@b.test", "a b@c.test"])
def test_issue_refuses_an_invalid_email(email):
    with pytest.raises(ValidationFailed):
        invite_issue(email=email)
    assert not BetaInvite.objects.exists()


def test_an_email_with_a_pending_invite_keeps_it(make_invite):
    existing = make_invite(email="keep@example.test")
    invite, created = invite_issue(email="KEEP@example.test", expires_in_days=5)
    assert not created and invite.pk == existing.pk
    assert BetaInvite.objects.filter(email="keep@example.test").count() == 1


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ({"expires_in": timedelta(seconds=-1)}, "expired"),
        ({"revoked_at": timezone.now()}, "revoked"),
        ({"used_at": timezone.now()}, "used"),
    ],
)
def test_a_closed_invite_does_not_block_a_new_one(make_invite, state, status):
    old = make_invite(email="again@example.test", **state)
    invite, created = invite_issue(email="again@example.test")
    assert created and invite.pk != old.pk and invite.code != old.code
    old.refresh_from_db()
    assert old.status == status  # the old row keeps its real status


def test_issue_many_answers_in_order_and_resolves_duplicates(make_invite):
    existing = make_invite(email="old@example.test")
    results = invite_issue_many(
        emails=["b@example.test", "OLD@example.test", "a@example.test", "B@Example.test"]
    )
    assert [r.email for r in results] == [
        "b@example.test",
        "old@example.test",
        "a@example.test",
        "b@example.test",
    ]
    assert [r.created for r in results] == [True, False, True, False]
    assert results[1].invite.pk == existing.pk
    assert results[0].invite.pk == results[3].invite.pk
    assert BetaInvite.objects.count() == 3


def test_issue_many_is_all_or_nothing_on_a_bad_email():
    with pytest.raises(ValidationFailed) as exc:
        invite_issue_many(emails=["ok@example.test", "bad"])
    assert "emails.1" in exc.value.fields
    assert not BetaInvite.objects.exists()


def test_is_valid_is_case_insensitive_and_only_for_pending(make_invite, make_user):
    invite = make_invite(email="check@example.test")
    assert invite_is_valid(email="Check@Example.TEST", code=invite.code.lower())
    assert not invite_is_valid(email="other@example.test", code=invite.code)
    assert not invite_is_valid(email="check@example.test", code="0" * 16)
    expired = make_invite(email="exp@example.test", expires_in=timedelta(seconds=-1))
    revoked = make_invite(email="rev@example.test", revoked_at=timezone.now())
    used = make_invite(email="used@example.test", used_at=timezone.now(), used_by=make_user())
    for inv in (expired, revoked, used):
        assert not invite_is_valid(email=inv.email, code=inv.code)


def test_redeem_spends_the_invite_once(make_invite, make_user):
    invite = make_invite(email="r@example.test")
    user = make_user(email="r@example.test")
    assert invite_redeem(email="R@example.test", code=invite.code.lower(), user=user)
    assert not invite_redeem(email="r@example.test", code=invite.code, user=user)
    invite.refresh_from_db()
    assert invite.status == "used" and invite.used_by == user


def test_redeem_refuses_a_revoked_or_foreign_invite(make_invite, make_user):
    invite = make_invite(email="x@example.test")
    user = make_user()
    assert not invite_redeem(email="y@example.test", code=invite.code, user=user)
    invite_revoke(invite=invite)
    assert not invite_redeem(email="x@example.test", code=invite.code, user=user)


def test_revoke_is_idempotent_and_refuses_a_used_invite(make_invite, make_user):
    invite = make_invite()
    invite_revoke(invite=invite)
    first = invite.revoked_at
    assert invite.status == "revoked" and first is not None
    invite_revoke(invite=invite)
    assert invite.revoked_at == first
    used = make_invite(used_at=timezone.now(), used_by=make_user())
    with pytest.raises(Conflict):
        invite_revoke(invite=used)
    used.refresh_from_db()
    assert used.revoked_at is None


def test_revoke_many_leaves_used_invites_alone(make_invite, make_user):
    pending = make_invite()
    used = make_invite(used_at=timezone.now(), used_by=make_user())
    revoked, n_used = invite_revoke_many(
        invites=BetaInvite.objects.filter(pk__in=[pending.pk, used.pk])
    )
    assert (revoked, n_used) == (1, 1)
    pending.refresh_from_db()
    used.refresh_from_db()
    assert pending.status == "revoked" and used.status == "used"


def test_parse_pasted_list_reports_bad_lines_with_numbers():
    parsed = invite_emails_parse(
        "a@example.test\n\n# a comment\nnot-an-email\nB@example.test, c@example.test; a@example.test\n x@ \n"
    )
    assert parsed.valid == ["a@example.test", "b@example.test", "c@example.test"]
    assert parsed.invalid == [(4, "not-an-email"), (6, "x@")]


# --- the email --------------------------------------------------------------------------


def _jobs(task: str = "invites.send_invite") -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=task).order_by("id"))


def test_send_queues_a_job_and_the_worker_emails_the_code_and_a_signup_link(
    make_invite, settings, run_jobs
):
    settings.FRONTEND_URL = "https://app.huntaze.test"
    invite = make_invite(email="first+tag@example.test")
    report = invite_send(invites=[invite])
    assert report.queued == [invite] and report.skipped == []
    assert mail.outbox == []  # the request never waits on the mail server
    [job] = _jobs()
    assert job.args == {"invite_id": str(invite.pk)}  # an id only: no address, no code
    invite.refresh_from_db()
    assert invite.email_state == "queued" and invite.sent_at is None

    run_jobs()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["first+tag@example.test"]
    assert "Huntaze" in message.subject and "\n" not in message.subject
    assert invite.code in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and invite.code in html
    link = re.search(r"https://app\.huntaze\.test/signup\?\S+", message.body).group(0)
    query = parse_qs(urlsplit(link).query)
    assert query == {"code": [invite.code], "email": ["first+tag@example.test"]}
    assert "https://app.huntaze.test/signup?code=" in html
    invite.refresh_from_db()
    assert invite.sent_at is not None and invite.send_count == 1
    assert invite.email_state == "sent"
    assert ProcrastinateJob.objects.get(pk=job.pk).status == "succeeded"


def test_no_job_and_no_email_when_the_transaction_rolls_back(make_invite, run_jobs):
    invite = make_invite()
    with pytest.raises(RuntimeError), transaction.atomic():
        invite_send(invites=[invite])
        assert len(_jobs()) == 1
        raise RuntimeError("rollback")
    assert _jobs() == []
    run_jobs()
    assert mail.outbox == []
    invite.refresh_from_db()
    assert invite.email_state is None


def test_send_skips_invites_that_are_not_pending(make_invite, make_user, run_jobs):
    pending = make_invite()
    revoked = make_invite(revoked_at=timezone.now())
    used = make_invite(used_at=timezone.now(), used_by=make_user())
    report = invite_send(invites=[pending, revoked, used])
    assert report.queued == [pending]
    assert {i.pk for i in report.skipped} == {revoked.pk, used.pk}
    run_jobs()
    assert [m.to for m in mail.outbox] == [[pending.email]]


def test_an_invite_revoked_while_queued_is_not_sent(make_invite, run_jobs):
    invite = make_invite()
    invite_send(invites=[invite])
    invite_revoke(invite=invite)
    run_jobs()
    assert mail.outbox == []
    assert ProcrastinateJob.objects.get().status == "succeeded"  # nothing left to do


def test_a_down_mail_server_is_tried_again_later_and_keeps_the_invite(
    make_invite, mail_server_down, run_jobs
):
    invite = make_invite()
    invite_send(invites=[invite])
    run_jobs()
    invite.refresh_from_db()
    assert invite.sent_at is None and invite.status == "pending"
    assert invite.email_state == "queued"  # another try is scheduled
    assert invite.last_send_error.startswith("ConnectionRefusedError")
    [job] = _jobs()
    assert job.status == "todo" and job.attempts == 1
    first_delay = settings_delays()[0]
    assert timezone.now() < job.scheduled_at <= timezone.now() + timedelta(seconds=first_delay)
    assert JobOutcomeCount.objects.get(task_name="invites.send_invite").outcome == "retried"


def test_a_refused_recipient_fails_at_once_and_alone(make_invite, mail_rejects_some, run_jobs):
    good = make_invite(email="good@example.test")
    bad = make_invite(email="bad@rejected.test")
    invite_send(invites=[bad, good])
    run_jobs()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.sent_at is not None and good.email_state == "sent"
    assert bad.sent_at is None and bad.email_state == "failed"  # a 5xx answer: no retry
    assert "550" in bad.last_send_error
    failed = ProcrastinateJob.objects.get(args={"invite_id": str(bad.pk)})
    assert failed.status == "failed" and "550" in JobError.objects.get(job=failed).error


def test_temporary_failures_fail_the_invite_once_the_tries_are_spent(
    make_invite, mail_server_down, settings, run_jobs
):
    settings.EMAIL_RETRY_DELAYS = []  # no try left after the first
    invite = make_invite()
    invite_send(invites=[invite])
    run_jobs()
    invite.refresh_from_db()
    assert invite.email_state == "failed" and "ConnectionRefused" in invite.last_send_error
    assert _jobs()[0].status == "failed"


def test_resend_sends_again_and_skips_a_closed_invite(make_invite, run_jobs):
    invite = make_invite(sent_at=timezone.now() - timedelta(days=2), send_count=1)
    before = invite.sent_at
    invite_send(invites=[invite])
    run_jobs()
    invite.refresh_from_db()
    assert len(mail.outbox) == 1 and invite.sent_at > before and invite.send_count == 2
    revoked = make_invite(revoked_at=timezone.now())
    invite_send(invites=[revoked])
    run_jobs()
    revoked.refresh_from_db()
    assert len(mail.outbox) == 1 and revoked.sent_at is None


def test_resend_pressed_twice_before_the_worker_runs_sends_one_email(make_invite, run_jobs):
    invite = make_invite()
    invite_send(invites=[invite])
    invite_send(invites=[invite])
    assert len(_jobs()) == 2
    run_jobs()
    assert len(mail.outbox) == 1
    invite.refresh_from_db()
    assert invite.send_count == 1 and invite.email_state == "sent"


def test_a_delivery_is_claimed_by_one_job_and_taken_back_only_by_it(make_invite):
    """The claim behind "a job run twice never sends twice": another job finds nothing to send
    while one holds the delivery, the holder (run again after its worker died) takes it back,
    and once sent nobody sends it again."""
    invite = make_invite()
    invite_send(invites=[invite])
    assert invite_delivery_claim(invite_id=invite.pk, job_id=1) is not None
    assert invite_delivery_claim(invite_id=invite.pk, job_id=2) is None
    assert invite_delivery_claim(invite_id=invite.pk, job_id=1) is not None
    invite_delivery_done(invite_id=invite.pk, job_id=1)
    assert invite_delivery_claim(invite_id=invite.pk, job_id=1) is None
    assert invite_delivery_claim(invite_id=invite.pk, job_id=2) is None


def settings_delays() -> list[int]:
    from django.conf import settings

    return settings.EMAIL_RETRY_DELAYS


# --- races --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_for_one_email_make_one_invite():
    def issue(email):
        invite, _ = invite_issue(email=email)
        return invite.pk

    pks = run_concurrently(issue, args=[("race@example.test",), ("RACE@example.test",)] * 4)
    assert len(set(pks)) == 1
    assert BetaInvite.objects.filter(email="race@example.test").count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_bulk_issues_neither_duplicate_nor_deadlock():
    emails = [f"bulk{i}@example.test" for i in range(10)]

    def issue(batch):
        return [r.invite.pk for r in invite_issue_many(emails=batch)]

    run_concurrently(issue, args=[(emails,), (list(reversed(emails)),), (emails[::2],)])
    assert BetaInvite.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_redeem_and_revoke_have_one_winner(make_invite, make_user):
    invite = make_invite(email="both@example.test")
    user = make_user(email="both@example.test")

    def redeem():
        return "redeemed" if invite_redeem(email=invite.email, code=invite.code, user=user) else "-"

    def revoke():
        try:
            invite_revoke(invite=BetaInvite.objects.get(pk=invite.pk))
            return "revoked"
        except Conflict:
            return "-"

    outcomes = run_concurrently(lambda f: f(), args=[(redeem,), (revoke,)])
    assert sorted(outcomes) in (["-", "redeemed"], ["-", "revoked"])
    invite.refresh_from_db()
    assert (invite.used_at is None) != (invite.revoked_at is None)


def test_issue_many_refuses_too_many_distinct_emails(settings):
    from invites.services import ISSUE_MANY_MAX

    with pytest.raises(ValidationFailed) as exc:
        invite_issue_many(emails=[f"u{i}@example.test" for i in range(ISSUE_MANY_MAX + 1)])
    assert "emails" in exc.value.fields
    assert not BetaInvite.objects.exists()


def test_the_invite_email_says_bêta_and_its_expiry_in_paris_time(make_invite):
    """Emails read like the admin: "bêta", and the expiry as a day and hour in ADMIN_TIME_ZONE,
    named (once written in UTC)."""
    invite = make_invite(email="camille@example.test")
    invite.expires_at = datetime(2027, 1, 6, 23, 30, tzinfo=UTC)  # 00:30 on the 7th in Paris
    message = invite_email_build(invite=invite)
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert "beta" not in text.lower()  # "bêta" in French
    assert "bêta" in message.subject
    assert "valable jusqu'au 07/01/2027 à 00:30 (fuseau Europe/Paris)" in message.body
    assert "07/01/2027 à 00:30 (fuseau Europe/Paris)" in html
