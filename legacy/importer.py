"""``import_legacy``: the whole run, table by table (docs/migration.md).

The source is read in one read-only repeatable-read snapshot (``legacy.source``). Each table is
planned in Python from that snapshot and from what earlier runs left (``LegacyRecord``), then
written in set-based batches (``legacy.writer``). Users go first, because every other table
hangs off them: ``Run.owners`` maps each legacy user id to the account its rows go to.

The decision for each legacy row:

* never imported → imported (unless a conflict or a problem stops it, reported);
* imported, unchanged in the old app since → unchanged (nothing is written);
* imported, changed in the old app, untouched here → updated;
* imported, changed in the old app *and* here → this product's version is kept, reported as
  a conflict;
* imported, then deleted here → not re-created, reported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone

from legacy.report import NOT_CARRIED_REASONS, Report
from legacy.source import LegacySource
from legacy.writer import INSERT, Failure, Planned, Target, write_batch

DEFAULT_BATCH_SIZE = 2000
# pg_advisory_lock key: two imports into one database at once would plan against each other.
LOCK_KEY = 0x48554E545A_4C4547  # "HUNTZ" "LEG"

Progress = Callable[[str, int, int], None]


class ImportBusy(Exception):
    """Another ``import_legacy`` holds the lock on this database."""


@dataclass
class Owner:
    """Where the rows of one legacy user go."""

    user_id: uuid.UUID | None  # our user, or None when that legacy user was not imported
    reason: str = ""  # why not, when user_id is None
    merged: bool = False  # a case duplicate folded into another legacy user's account
    deleted: bool = False
    email: str = ""  # the normalised legacy email ("" for deleted users)
    plan: str = "FREE"
    passwordless: bool = False  # live, with an empty legacy password hash


@dataclass
class Run:
    source: LegacySource
    report: Report
    dry_run: bool
    batch_size: int
    now: datetime
    progress: Progress | None = None
    owners: dict[str, Owner] = field(default_factory=dict)

    def owner_of(self, legacy_user_id: str) -> Owner:
        return self.owners.get(legacy_user_id) or Owner(None, "its user is not in the source")

    def write(self, target: Target, rows: list[Planned], **kwargs) -> list[Planned]:
        """Write ``rows`` in batches (or, in a dry run, pretend every row is written)."""
        if self.dry_run:
            return rows
        written: list[Planned] = []
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            done, failures = write_batch(target, chunk, **kwargs)
            written += done
            done_ids = {id(r) for r in done}
            self._refused(target, [r for r in chunk if id(r) not in done_ids], failures)
        return written

    def _refused(self, target: Target, not_written: list[Planned], failures: list[Failure]) -> None:
        failed = {id(f.row) for f in failures}
        for failure in failures:
            self.report.problem(
                target.source, failure.row.legacy_id, "cannot_store", failure.reason
            )
        for row in not_written:
            if id(row) not in failed:  # an UPDATE whose row was changed here meanwhile
                self.report.conflict(
                    target.source,
                    row.legacy_id,
                    "changed_on_both_sides",
                    "changed here while the import ran; this product's version is kept",
                )

    def tally(self, target: Target, planned: list[Planned], written: list[Planned]) -> None:
        """Count written rows as imported/updated and the others as skipped."""
        done = {id(r) for r in written}
        for row in planned:
            if id(row) in done:
                self.report.count(target.source, "imported" if row.op == INSERT else "updated")
            else:
                self.report.count(target.source, "skipped")


def unchanged_or_conflict(
    run: Run, target: Target, legacy_id: str, source_hash: str, record
) -> bool:
    """Handle an already-imported row that needs no write; True when it was handled.

    ``record`` is ``existing_records``' tuple. Not handled (False): a row changed in the old
    app and untouched here, which the caller updates.
    """
    _object_id, old_hash, _merged, exists, _now_hash, untouched = record
    if not exists:
        run.report.count(target.source, "skipped")
        run.report.problem(
            target.source,
            legacy_id,
            "deleted_here",
            "deleted in this product after an earlier import; not re-created",
        )
        return True
    if old_hash == source_hash:
        run.report.count(target.source, "unchanged")
        return True
    if not untouched:
        run.report.count(target.source, "skipped")
        run.report.conflict(
            target.source,
            legacy_id,
            "changed_on_both_sides",
            "changed in the old app and in this product since the last import; "
            "this product's version is kept",
        )
        return True
    return False


def run_import(
    *,
    source: LegacySource,
    dry_run: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> Report:
    """Import everything from the open ``source`` snapshot; return the report."""
    from legacy import tables, users

    report = Report(source=source.description, dry_run=dry_run, started_at=timezone.now())
    report.snapshot_at = source.snapshot_at
    run = Run(
        source=source,
        report=report,
        dry_run=dry_run,
        batch_size=batch_size,
        now=timezone.now(),
        progress=progress,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise ImportBusy("another import_legacy is running against this database")
    try:
        users.import_users(run)
        users.import_social_accounts(run)
        tables.import_subscriptions(run)
        tables.import_content(run)
        tables.import_invites(run)
        _not_carried(run)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    report.finished_at = timezone.now()
    return report


def _not_carried(run: Run) -> None:
    for table, reason in NOT_CARRIED_REASONS.items():
        run.report.not_carried[table] = {"count": run.source.count(table), "reason": reason}
    keys = run.source.fetch_all(
        """
        SELECT k.id, k."userId", k.name, k."createdAt" AT TIME ZONE 'UTC',
               k."lastUsedAt" AT TIME ZONE 'UTC', k."expiresAt" AT TIME ZONE 'UTC', u.email
        FROM api_keys k LEFT JOIN users u ON u.id = k."userId"
        ORDER BY k."createdAt", k.id
        """
    )

    def iso(moment):
        return moment.isoformat().replace("+00:00", "Z") if moment else None

    for key_id, user_id, name, created, last_used, expires, email in keys:
        run.report.api_keys_not_carried.append(
            {
                "legacy_id": key_id,
                "user_legacy_id": user_id,
                "owner_email": (email or "").strip().lower(),
                "name": name,
                "created_at": iso(created),
                "last_used_at": iso(last_used),
                "expires_at": iso(expires),
            }
        )
