from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from invites.models import BetaInvite
from tests.servers import manage, suite_env

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[list[list[str]], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_invites", *args, stdout=out, stderr=err)
    return list(csv.reader(io.StringIO(out.getvalue()))), err.getvalue()


def test_prints_email_code_csv_for_repeated_emails():
    rows, _err = run("--email", "One@Example.test", "--email", "two@example.test")
    assert rows[0] == ["email", "code"]
    assert [r[0] for r in rows[1:]] == ["one@example.test", "two@example.test"]
    for email, code in rows[1:]:
        assert BetaInvite.objects.get(email=email).code == code
    assert mail.outbox == []


def test_keeps_an_existing_pending_invite(make_invite):
    existing = make_invite(email="known@example.test")
    rows, err = run("--email", "KNOWN@example.test", "--email", "fresh@example.test")
    assert rows[1] == ["known@example.test", existing.code]
    assert BetaInvite.objects.filter(email="known@example.test").count() == 1
    assert "1 invite(s) created, 1 already pending" in err


def test_reads_a_file_and_reports_invalid_lines(tmp_path: Path):
    path = tmp_path / "emails.txt"
    path.write_text(
        "# beta wave 2\nalice@example.test\n\nnot an email\nbob@example.test\nalice@example.test\n",
        encoding="utf-8",
    )
    rows, err = run("--file", str(path), "--email", "bad@", "--email", "carol@example.test")
    assert [r[0] for r in rows[1:]] == [
        "carol@example.test",
        "alice@example.test",
        "bob@example.test",
    ]
    assert f"{path}:4" in err and "not an email" in err
    assert "--email #1" in err and "'bad@'" in err
    assert BetaInvite.objects.count() == 3


def test_expires_in_days(tmp_path):
    run("--email", "d@example.test", "--expires-in-days", "10")
    invite = BetaInvite.objects.get(email="d@example.test")
    assert timedelta(days=9, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=10)
    for bad in ("0", "366"):
        with pytest.raises(CommandError, match="expires-in-days"):
            run("--email", "e@example.test", "--expires-in-days", bad)
    assert not BetaInvite.objects.filter(email="e@example.test").exists()


def test_fails_only_when_nothing_valid_was_given(tmp_path):
    with pytest.raises(CommandError, match="No valid email"):
        run("--email", "nope", "--email", "also@")
    with pytest.raises(CommandError):
        run()
    with pytest.raises(CommandError, match="Cannot read"):
        run("--file", str(tmp_path / "missing.txt"))
    assert not BetaInvite.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_send_queues_new_and_unsent_invites_once(make_invite, run_jobs):
    already_sent = make_invite(email="sent@example.test", sent_at=timezone.now())
    rows, err = run("--email", "new@example.test", "--email", "sent@example.test", "--send")
    assert len(rows) == 3
    assert "1 email(s) queued" in err and mail.outbox == []
    run_jobs()
    assert [m.to for m in mail.outbox] == [["new@example.test"]]
    code = BetaInvite.objects.get(email="new@example.test").code
    assert code in mail.outbox[0].body
    assert BetaInvite.objects.get(email="new@example.test").sent_at is not None
    assert BetaInvite.objects.get(pk=already_sent.pk).sent_at == already_sent.sent_at


@pytest.mark.django_db(transaction=True)
def test_a_down_mail_server_keeps_the_invite_queued_for_another_try(mail_server_down, run_jobs):
    rows, _err = run("--email", "down@example.test", "--send")
    assert rows[1][0] == "down@example.test"
    run_jobs()
    invite = BetaInvite.objects.get(email="down@example.test")
    assert invite.sent_at is None and invite.status == "pending"
    assert invite.email_state == "queued" and "ConnectionRefused" in invite.last_send_error


@pytest.mark.slow
def test_exit_status_from_the_shell(tmp_path):
    """The real process exits 1, prints no CSV, and says why when nothing valid was given."""
    env = suite_env(DATABASE_URL=_test_database_url())
    bad = manage("create_invites", "--email", "nope", env=env, timeout=60)
    assert bad.returncode == 1 and "No valid email" in bad.stderr and bad.stdout == ""


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_a_file_longer_than_one_bulk_is_issued_in_chunks(tmp_path):
    from invites.services import ISSUE_MANY_MAX

    count = ISSUE_MANY_MAX + 5
    path = tmp_path / "many.txt"
    path.write_text("\n".join(f"m{i}@example.test" for i in range(count)), encoding="utf-8")
    rows, _err = run("--file", str(path))
    assert [r[0] for r in rows[1:]] == [f"m{i}@example.test" for i in range(count)]
    assert BetaInvite.objects.count() == count


def test_skips_addresses_that_already_have_an_account(make_user):
    make_user(email="member@example.test")
    rows, err = run("--email", "Member@example.test", "--email", "new@example.test")
    assert [r[0] for r in rows[1:]] == ["new@example.test"]
    assert not BetaInvite.objects.filter(email="member@example.test").exists()
    assert "skipped (already a member; --include-members to invite): member@example.test" in err
    assert "1 already a member skipped" in err


def test_include_members_invites_them_anyway(make_user):
    make_user(email="member@example.test")
    rows, err = run("--email", "member@example.test", "--include-members")
    assert [r[0] for r in rows[1:]] == ["member@example.test"]
    assert BetaInvite.objects.filter(email="member@example.test").count() == 1
    assert "0 already a member skipped" in err


def test_a_soft_deleted_accounts_former_address_is_not_a_member(make_user):
    from accounts.services.users import user_soft_delete

    user_soft_delete(user=make_user(email="gone@example.test"))
    rows, _err = run("--email", "gone@example.test")
    assert [r[0] for r in rows[1:]] == ["gone@example.test"]
