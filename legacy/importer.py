"""``import_legacy``: the whole run, table by table (docs/migration.md).

The source is read in one read-only repeatable-read snapshot (``legacy.source``). Each table is
planned in Python from that snapshot and from what earlier runs left (``LegacyRecord``), then
written in set-based batches (``legacy.writer``). Users go first, because every other table
hangs off them: ``Run.owners`` maps each legacy user id to the account its rows go to, found by
legacy id once imported (``legacy.identity``).

The decision for each legacy row:

* never imported → imported (unless a conflict or a problem stops it, reported);
* imported, unchanged in the old app since → unchanged (nothing is written);
* imported, changed in the old app, untouched here → updated;
* imported, changed in the old app *and* here → this product's version is kept, reported as
  a conflict;
* imported, then deleted here → not re-created, reported;
* imported, then deleted in the old app → carried over (``legacy.deletions``);
* any write that would give a row of ours another owner → refused, reported
  (``legacy.writer``).
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from legacy.deletions import carry_deletions
from legacy.report import NOT_CARRIED_REASONS, Report
from legacy.run import Progress, Run
from legacy.social import import_social_accounts
from legacy.source import LegacySource
from legacy.tables import import_content, import_invites, import_subscriptions
from legacy.users import import_users

DEFAULT_BATCH_SIZE = 2000
# pg_advisory_lock key: two imports into one database at once would plan against each other.
LOCK_KEY = 0x48554E545A_4C4547  # "HUNTZ" "LEG"

# In the order a run imports them: users first, every other table hangs off them.
STEPS = (
    ("users", import_users),
    ("accounts", import_social_accounts),
    ("subscription_records", import_subscriptions),
    ("content_assets", import_content),
    ("beta_invites", import_invites),
)


class ImportBusy(Exception):
    """Another ``import_legacy`` holds the lock on this database."""


def run_import(
    *,
    source: LegacySource,
    dry_run: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> Report:
    """Import everything from the open ``source`` snapshot; return the report."""
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
        for table, step in STEPS:
            carry_deletions(run, table, step(run))
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
