"""``manage.py import_legacy [--dry-run] [--json]`` (docs/migration.md); the source is
``LEGACY_DATABASE_URL`` (or ``--source``).

Exit status 0 when the run completed, whatever conflicts and skipped rows the report lists;
1 with one line on standard error (never a traceback, never the password) when the source is
unreachable or malformed, is not a Prisma-era Huntaze database, or a database fails mid-run.
Batches written before such a failure stay (each is atomic); running the command again
carries on.

``--resolve LEGACY_ID`` records staff's answer for held-back case variants (that legacy user
owns its address; the next run imports it) and ``--unresolve LEGACY_ID`` withdraws it before
it took effect; both print one line and import nothing.
"""

from __future__ import annotations

import json
import sys

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from legacy.identity import (
    ResolutionRefused,
    fetch_users,
    resolution_record,
    resolution_withdraw,
)
from legacy.importer import DEFAULT_BATCH_SIZE, ImportBusy, run_import
from legacy.source import LegacySource, SourceError


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


class Command(BaseCommand):
    help = (
        "Import the Prisma-era Huntaze database (users, Google accounts, subscriptions, "
        "content, invites). Read-only on the source; a re-run is a delta sync."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            default=None,
            help=(
                "PostgreSQL URL of the old database (default: LEGACY_DATABASE_URL, which keeps "
                "a password out of ps and the shell history)."
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Compute and report everything, write nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows per transaction."
        )
        staff = parser.add_mutually_exclusive_group()
        staff.add_argument(
            "--resolve",
            metavar="LEGACY_ID",
            help="Held-back case variants: this legacy user owns its address (imported at the "
            "next run; the others stay out). Imports nothing.",
        )
        staff.add_argument(
            "--unresolve",
            metavar="LEGACY_ID",
            help="Withdraw a --resolve whose legacy user is not imported yet. Imports nothing.",
        )

    def handle(self, *args, **options) -> None:
        if options["unresolve"]:
            self._check_target()
            self._resolution(resolution_withdraw, legacy_id=options["unresolve"])
            return
        url = options["source"] or settings.LEGACY_DATABASE_URL
        if not url:
            raise CommandError("no source: set LEGACY_DATABASE_URL (or pass --source)")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        self._check_target()
        if options["resolve"]:
            try:
                with LegacySource(url) as source:
                    users = fetch_users(source)
            except SourceError as exc:
                raise CommandError(str(exc)) from None
            self._resolution(resolution_record, users=users, legacy_id=options["resolve"])
            return
        progress = self._progress if sys.stderr.isatty() else None
        try:
            with LegacySource(url) as source:
                report = run_import(
                    source=source,
                    dry_run=options["dry_run"],
                    batch_size=options["batch_size"],
                    progress=progress,
                )
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        except ImportBusy as exc:
            raise CommandError(str(exc)) from None
        except (DatabaseError, psycopg.Error) as exc:  # ours: reads of the source raise SourceError
            raise CommandError(
                f"this product's database failed during the import: {_one_line(exc)} "
                "(batches already written are kept; run the command again to carry on)"
            ) from None
        finally:
            if progress is not None:
                sys.stderr.write("\r\033[K")
        # No log line: logs are JSON lines on standard output, where --json prints the report.
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(report.render_text())

    def _resolution(self, action, **kwargs) -> None:
        try:
            line = action(**kwargs)
        except ResolutionRefused as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"this product's database failed: {_one_line(exc)}") from None
        self.stdout.write(line)

    def _check_target(self) -> None:
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise CommandError(f"cannot reach this product's database: {_one_line(exc)}") from None
        if pending:
            raise CommandError(
                f"this product's database has {len(pending)} unapplied migration(s): run "
                "manage.py migrate first"
            )

    @staticmethod
    def _progress(table: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r\033[K{table}: {done:,}/{total:,}")
        sys.stderr.flush()
