"""``manage.py create_invites``: issue invites from the command line (docs/api.md, Operations).

Prints ``email,code`` CSV on stdout (one row per invited email, in the order given, existing
pending invites kept rather than duplicated); invalid entries are reported on stderr and
skipped. An address that already has an account is skipped too (reported on stderr: it would
get a "create your account" email and its sign-up would be refused), unless
``--include-members``. Exit status 1 only when nothing valid was given (or on a bad option).
"""

from __future__ import annotations

import csv
import sys

from django.core.management.base import BaseCommand, CommandError

from invites.selectors import invite_emails_with_account
from invites.services import (
    EXPIRES_IN_DAYS_MAX,
    EXPIRES_IN_DAYS_MIN,
    ISSUE_MANY_MAX,
    invite_emails_parse,
    invite_issue_many,
    invite_send,
)


class Command(BaseCommand):
    help = "Create beta invites and print them as CSV (email,code)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--email",
            action="append",
            default=[],
            metavar="EMAIL",
            help="An email to invite (repeatable).",
        )
        parser.add_argument(
            "--file",
            metavar="PATH",
            help="A file with one email per line ('-' reads standard input; # comments).",
        )
        parser.add_argument(
            "--send",
            action="store_true",
            help="Email the invites that have not been sent yet.",
        )
        parser.add_argument(
            "--include-members",
            action="store_true",
            help="Also invite addresses that already have an account (skipped by default).",
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            metavar="N",
            help=f"Validity of new invites, {EXPIRES_IN_DAYS_MIN}-{EXPIRES_IN_DAYS_MAX} days "
            "(default INVITE_EXPIRY_DAYS).",
        )

    def handle(self, *args, **options):
        days = options["expires_in_days"]
        if days is not None and not EXPIRES_IN_DAYS_MIN <= days <= EXPIRES_IN_DAYS_MAX:
            raise CommandError(
                f"--expires-in-days must be between {EXPIRES_IN_DAYS_MIN} and "
                f"{EXPIRES_IN_DAYS_MAX}."
            )
        sources: list[tuple[str, str]] = [
            ("--email", "\n".join(options["email"])) if options["email"] else None,
            self._read_file(options["file"]) if options["file"] else None,
        ]
        sources = [s for s in sources if s is not None]
        if not sources:
            raise CommandError("Give at least one --email or a --file.")

        emails: list[str] = []
        invalid = 0
        for label, text in sources:
            parsed = invite_emails_parse(text)
            for number, raw in parsed.invalid:
                where = f"{label} #{number}" if label == "--email" else f"{label}:{number}"
                self.stderr.write(f"skipped invalid email ({where}): {raw!r}")
                invalid += 1
            emails.extend(e for e in parsed.valid if e not in emails)
        if not emails:
            raise CommandError(
                f"No valid email given ({invalid} invalid)." if invalid else "No email given."
            )

        members = invite_emails_with_account(emails=emails)
        if members and not options["include_members"]:
            for email in emails:
                if email in members:
                    self.stderr.write(
                        f"skipped (already a member; --include-members to invite): {email}"
                    )
            emails = [e for e in emails if e not in members]

        # One transaction per chunk of ISSUE_MANY_MAX emails (each email holds a lock until
        # commit), so a file of any length works.
        results = []
        for start in range(0, len(emails), ISSUE_MANY_MAX):
            chunk = emails[start : start + ISSUE_MANY_MAX]
            results.extend(invite_issue_many(emails=chunk, expires_in_days=days))
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["email", "code"])
        for result in results:
            writer.writerow([result.email, result.invite.code])

        created = sum(1 for r in results if r.created)
        skipped_members = 0 if options["include_members"] else len(members)
        self.stderr.write(
            f"{created} invite(s) created, {len(results) - created} already pending, "
            f"{skipped_members} already a member skipped, {invalid} invalid skipped."
        )
        if options["send"]:
            report = invite_send(invites=[r.invite for r in results if r.invite.sent_at is None])
            self.stderr.write(
                f"{len(report.queued)} email(s) queued: the job worker sends them "
                "(manage.py worker; docs/jobs.md)."
            )

    def _read_file(self, path: str) -> tuple[str, str]:
        if path == "-":
            return "stdin", sys.stdin.read()
        try:
            with open(path, encoding="utf-8-sig") as handle:
                return path, handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"Cannot read {path}: not UTF-8 text.") from None
