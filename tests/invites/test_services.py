from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from huntaze.exceptions import Conflict, ValidationFailed
from invites.models import BetaInvite
from invites.services import (
    invite_code_generate,
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


def test_send_emails_the_code_and_a_signup_link_after_commit(
    make_invite, settings, django_capture_on_commit_callbacks
):
    settings.FRONTEND_URL = "https://app.huntaze.test"
    invite = make_invite(email="first+tag@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        report = invite_send(invites=[invite])
        assert mail.outbox == [] and not report.done  # nothing leaves before the commit
    assert report.done and report.sent == [invite] and not report.failed
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
    assert invite.sent_at is not None


def test_no_email_when_the_transaction_rolls_back(make_invite, django_capture_on_commit_callbacks):
    invite = make_invite()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                invite_send(invites=[invite])
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []


def test_send_skips_invites_that_are_not_pending(
    make_invite, make_user, django_capture_on_commit_callbacks
):
    pending = make_invite()
    revoked = make_invite(revoked_at=timezone.now())
    used = make_invite(used_at=timezone.now(), used_by=make_user())
    with django_capture_on_commit_callbacks(execute=True):
        report = invite_send(invites=[pending, revoked, used])
    assert report.sent == [pending]
    assert {i.pk for i in report.skipped} == {revoked.pk, used.pk}
    assert [m.to for m in mail.outbox] == [[pending.email]]


def test_a_send_to_a_down_mail_server_is_reported_and_keeps_the_invite(
    make_invite, mail_server_down, django_capture_on_commit_callbacks
):
    invite = make_invite()
    with django_capture_on_commit_callbacks(execute=True):
        report = invite_send(invites=[invite])
    assert report.done and report.failed == [invite] and report.sent == []
    invite.refresh_from_db()
    assert invite.sent_at is None and invite.status == "pending"


def test_a_refused_recipient_fails_alone(
    make_invite, mail_rejects_some, django_capture_on_commit_callbacks
):
    good = make_invite(email="good@example.test")
    bad = make_invite(email="bad@rejected.test")
    with django_capture_on_commit_callbacks(execute=True):
        report = invite_send(invites=[bad, good])
    assert report.sent == [good] and report.failed == [bad]
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.sent_at is not None and bad.sent_at is None


def test_resend_sends_again_and_skips_a_closed_invite(
    make_invite, django_capture_on_commit_callbacks
):
    invite = make_invite(sent_at=timezone.now() - timedelta(days=2))
    before = invite.sent_at
    with django_capture_on_commit_callbacks(execute=True):
        invite_send(invites=[invite])
    invite.refresh_from_db()
    assert len(mail.outbox) == 1 and invite.sent_at > before
    revoked = make_invite(revoked_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        invite_send(invites=[revoked])
    revoked.refresh_from_db()
    assert len(mail.outbox) == 1 and revoked.sent_at is None


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
