"""The state of one ``import_legacy`` run, shared by the table modules (docs/migration.md).

``Run.owners`` maps each legacy user id to the account its rows go to: filled by
``legacy.users`` first, read by every other table. The rules every table applies to an
already imported row are here too (``settled``), so they read the same everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from legacy.report import Report
from legacy.source import LegacySource
from legacy.writer import INSERT, Failure, Planned, Record, Target, write_batch

Progress = Callable[[str, int, int], None]

OWNER_NOT_IMPORTED = "owner_not_imported"
OWNER_HELD = "owner_held"


@dataclass
class Owner:
    """Where the rows of one legacy user go."""

    user_id: uuid.UUID | None  # our user, or None when that legacy user is not imported
    reason: str = ""  # why not, when user_id is None
    kind: str = OWNER_NOT_IMPORTED  # the problem its rows are reported under, then
    deleted: bool = False
    email: str = ""  # the address of the account here ("" for deleted users)
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
    # Normalised addresses whose legacy users are held back (case variants staff resolve):
    # invites to them are held back too.
    held_emails: set[str] = field(default_factory=set)

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
            if failure.kind == "owner_change_refused":
                self.report.conflict(
                    target.source, failure.row.legacy_id, failure.kind, failure.reason
                )
            else:
                self.report.problem(
                    target.source, failure.row.legacy_id, failure.kind, failure.reason
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

    def skip(self, table: str, legacy_id: str, kind: str, reason: str, **extra) -> None:
        """Count a legacy row as skipped and report why (a problem)."""
        self.report.count(table, "skipped")
        self.report.problem(table, legacy_id, kind, reason, **extra)

    def skip_conflict(self, table: str, legacy_id: str, kind: str, reason: str, **extra) -> None:
        """Count a legacy row as skipped and report why (a conflict)."""
        self.report.count(table, "skipped")
        self.report.conflict(table, legacy_id, kind, reason, **extra)

    def skip_for_owner(self, table: str, legacy_id: str, user_legacy_id: str) -> Owner | None:
        """The owner of a row, or None after reporting why the row stays out."""
        owner = self.owner_of(user_legacy_id)
        if owner.user_id is None:
            self.skip(
                table,
                legacy_id,
                owner.kind,
                f"legacy user {user_legacy_id} is not imported: {owner.reason}",
            )
            return None
        return owner


def owner_moved(run: Run, target: Target, legacy_id: str, record: Record, owner: Owner) -> bool:
    """The ownership invariant at planning time: True (reported, nothing written) when our row
    belongs to another account than the one its legacy owner has here (or its legacy owner has
    none: a row an earlier run put into someone else's account).

    ``legacy.writer`` enforces the rule again on every write; this check makes the report
    precise and keeps such rows out of the batches.
    """
    if record.owner is None or record.owner == str(owner.user_id):
        return False
    if owner.user_id is None:
        why = f"its legacy owner is not imported ({owner.reason})"
    else:
        why = f"its legacy owner's account is {owner.user_id}"
    run.skip_conflict(
        target.source,
        legacy_id,
        "owner_change_refused",
        f"belongs here to account {record.owner}, but {why}; the import never moves a row "
        "between accounts: it stays where it is, not updated",
        account=record.owner,
        legacy_owner_account=str(owner.user_id) if owner.user_id else None,
    )
    return True


def settled(run: Run, target: Target, legacy_id: str, source_hash: str, record: Record) -> bool:
    """Handle an already-imported row that needs no write; True when it was handled.

    Not handled (False): a row changed in the old app and untouched here, which the caller
    updates.
    """
    if not record.exists:
        run.skip(
            target.source,
            legacy_id,
            "deleted_here",
            "deleted in this product after an earlier import; not re-created",
        )
        return True
    if record.source_hash == source_hash:
        run.report.count(target.source, "unchanged")
        return True
    if not record.untouched:
        run.skip_conflict(
            target.source,
            legacy_id,
            "changed_on_both_sides",
            "changed in the old app and in this product since the last import; "
            "this product's version is kept",
        )
        return True
    return False
