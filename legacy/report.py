"""The import report: counts per table, every conflict and problem (docs/migration.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Tables in the order they are imported (and reported).
TABLES = ("users", "accounts", "subscription_records", "content_assets", "beta_invites")
NOT_CARRIED_REASONS = {
    "api_keys": (
        "only a one-way hash of each key is stored, in a format this product cannot check; "
        "owners create new keys (listed in api_keys_not_carried)"
    ),
    "refresh_tokens": "signed with the old app's secret: creators sign in again",
    "sessions": "NextAuth sessions are encrypted with the old app's secret: creators sign in again",
}


@dataclass
class TableCounts:
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    # Rows of ours removed (or revoked, unlinked, soft-deleted) because their legacy row is
    # gone from the old app: not part of ``read``, which counts the rows still there.
    deleted: int = 0


@dataclass
class Report:
    source: str
    dry_run: bool
    started_at: datetime
    snapshot_at: datetime | None = None
    finished_at: datetime | None = None
    tables: dict[str, TableCounts] = field(
        default_factory=lambda: {name: TableCounts() for name in TABLES}
    )
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    not_carried: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_keys_not_carried: list[dict[str, Any]] = field(default_factory=list)
    # Case variants held for staff: one entry per shared address (legacy.identity).
    held_back: list[dict[str, Any]] = field(default_factory=list)
    # Deletions in the old app carried over: what was done to which row of ours.
    deletions: list[dict[str, Any]] = field(default_factory=list)

    def count(self, table: str, outcome: str, n: int = 1) -> None:
        counts = self.tables[table]
        setattr(counts, outcome, getattr(counts, outcome) + n)

    def conflict(self, table: str, legacy_id: str, kind: str, reason: str, **extra: Any) -> None:
        self.conflicts.append(
            {"table": table, "legacy_id": legacy_id, "kind": kind, "reason": reason, **extra}
        )

    def problem(self, table: str, legacy_id: str, kind: str, reason: str, **extra: Any) -> None:
        self.problems.append(
            {"table": table, "legacy_id": legacy_id, "kind": kind, "reason": reason, **extra}
        )

    def deleted(
        self, table: str, legacy_id: str, action: str, object_id: str, *, count: bool = True
    ) -> None:
        """A deletion carried over. ``count``: the legacy row is gone from the old database
        (a soft-deleted legacy user is still there: it counts as updated instead)."""
        if count:
            self.count(table, "deleted")
        self.deletions.append(
            {"table": table, "legacy_id": legacy_id, "action": action, "object_id": object_id}
        )

    @property
    def nothing_to_do(self) -> bool:
        """True when the run wrote (or, dry, would write) nothing at all."""
        return not any(c.imported or c.updated or c.deleted for c in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat().replace("+00:00", "Z") if moment else None

        duration = (
            round((self.finished_at - self.started_at).total_seconds(), 3)
            if self.finished_at
            else None
        )
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "snapshot_at": iso(self.snapshot_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_seconds": duration,
            "nothing_to_do": self.nothing_to_do,
            "tables": {name: asdict(counts) for name, counts in self.tables.items()},
            "not_carried": self.not_carried,
            "api_keys_not_carried": self.api_keys_not_carried,
            "held_back": self.held_back,
            "deletions": self.deletions,
            "conflicts": self.conflicts,
            "problems": self.problems,
        }

    def render_text(self) -> str:
        data = self.as_dict()
        lines = [
            f"Legacy import from {self.source}"
            + (" (DRY RUN: nothing was written)" if self.dry_run else ""),
            f"snapshot at {data['snapshot_at']}, {data['duration_seconds']} s",
            "",
            f"{'table':<22}{'read':>8}{'imported':>10}{'updated':>9}{'unchanged':>11}"
            f"{'skipped':>9}{'deleted':>9}",
        ]
        for name, c in self.tables.items():
            lines.append(
                f"{name:<22}{c.read:>8}{c.imported:>10}{c.updated:>9}{c.unchanged:>11}"
                f"{c.skipped:>9}{c.deleted:>9}"
            )
        if self.nothing_to_do:
            lines.append("Nothing to do: every row is as the last run left it.")
        lines.append("")
        for name, info in self.not_carried.items():
            lines.append(f"not carried: {info['count']} {name} ({info['reason']})")
        for key in self.api_keys_not_carried:
            lines.append(
                f"  API key {key['legacy_id']} {key['name']!r} of {key['owner_email']} "
                f"(legacy user {key['user_legacy_id']})"
            )
        lines.append("")
        lines.append(f"Held back for staff ({len(self.held_back)} shared addresses):")
        for group in self.held_back:
            lines.extend(_held_lines(group))
        lines.append("")
        lines.append(f"Deletions carried over ({len(self.deletions)}):")
        for entry in self.deletions:
            lines.append(
                f"  {entry['table']} {entry['legacy_id']}: {entry['action']} ({entry['object_id']})"
            )
        for title, entries in (("Conflicts", self.conflicts), ("Problems", self.problems)):
            lines.append("")
            lines.append(f"{title} ({len(entries)}):")
            for entry in entries:
                lines.append(
                    f"  {entry['table']} {entry['legacy_id']} [{entry['kind']}] {entry['reason']}"
                )
        return "\n".join(lines)


def _held_lines(group: dict[str, Any]) -> list[str]:
    resolved = group["resolved_to"]
    lines = [
        f"  {group['email']}: "
        + (
            f"resolved to {resolved}"
            if resolved
            else "unresolved (import_legacy --resolve LEGACY_ID says who owns it)"
        )
    ]
    for member in group["members"]:
        owns = member["owns"]
        sub = owns["subscription"]
        lines.append(
            f"    {member['legacy_id']} {member['email']!r} {member['name']!r}: "
            f"{member['status']}; created {member['created_at']}, last active "
            f"{member['last_active_at']}; {owns['content_assets']} content, "
            f"{owns['google_accounts']} Google, {owns['api_keys']} API keys, "
            + (f"subscription {sub['status']} {sub['plan']}" if sub else "no subscription")
        )
    return lines
