"""The counts maintained on write (migration 0008): checked against the table, and rebuilt.

``content_creator_counts`` (assets per creator: the profile's ``stats.content_count``) and
``content_activity_buckets`` (assets per quarter hour of ``created_at``, UTC: the dashboard's
content per day) are kept by triggers on ``content_assets`` in the writing transaction. They
can only drift if someone disables the triggers (``session_replication_role = replica``,
``ALTER TABLE … DISABLE TRIGGER``) or edits the tables by hand: ``manage.py validate_database``
compares them with a fresh count (``drift``) and ``--rebuild-counts`` recomputes them
(``rebuild``). Both read the whole table once: an operator's command, never a request's.
"""

from __future__ import annotations

from dataclasses import dataclass

TRIGGERS = (
    "content_counts_insert",
    "content_counts_delete",
    "content_counts_update",
    "content_counts_truncate",
)

# Keys whose maintained value differs from the table's (a missing row counts as 0 on both sides).
_CREATOR_DRIFT = """
SELECT coalesce(t.user_id, c.user_id), coalesce(c.count, 0), coalesce(t.n, 0)
FROM (SELECT user_id, count(*) AS n FROM content_assets GROUP BY user_id) t
FULL JOIN content_creator_counts c ON c.user_id = t.user_id
WHERE coalesce(t.n, 0) <> coalesce(c.count, 0)
ORDER BY 1
"""
_BUCKET_DRIFT = """
SELECT coalesce(t.bucket, b.bucket), coalesce(b.assets, 0), coalesce(t.n, 0)
FROM (SELECT content_bucket(created_at) AS bucket, count(*) AS n
      FROM content_assets GROUP BY 1) t
FULL JOIN content_activity_buckets b ON b.bucket = t.bucket
WHERE coalesce(t.n, 0) <> coalesce(b.assets, 0)
ORDER BY 1
"""
_MISSING_TRIGGERS = """
SELECT name FROM unnest(%s::text[]) AS name
WHERE NOT EXISTS (
    SELECT 1 FROM pg_trigger
    WHERE tgrelid = 'content_assets'::regclass AND tgname = name AND tgenabled <> 'D'
)
"""
# Writers wait (SHARE ROW EXCLUSIVE conflicts with every row write), readers go on.
_REBUILD = """
LOCK TABLE content_assets IN SHARE ROW EXCLUSIVE MODE;
DELETE FROM content_creator_counts;
DELETE FROM content_activity_buckets;
INSERT INTO content_creator_counts (user_id, count)
    SELECT user_id, count(*) FROM content_assets GROUP BY user_id;
INSERT INTO content_activity_buckets (bucket, assets)
    SELECT content_bucket(created_at), count(*) FROM content_assets GROUP BY 1;
"""
REBUILD_STATEMENTS = tuple(filter(None, (s.strip() for s in _REBUILD.split(";"))))


@dataclass
class Drift:
    """What differs: ``(key, maintained, actual)`` per creator and per bucket, and the
    triggers that are missing or disabled."""

    creators: list[tuple]
    buckets: list[tuple]
    missing_triggers: list[str]

    @property
    def ok(self) -> bool:
        return not (self.creators or self.buckets or self.missing_triggers)


def drift(connection) -> Drift:
    with connection.cursor() as cursor:
        cursor.execute(_MISSING_TRIGGERS, [list(TRIGGERS)])
        missing = [row[0] for row in cursor.fetchall()]
        cursor.execute(_CREATOR_DRIFT)
        creators = cursor.fetchall()
        cursor.execute(_BUCKET_DRIFT)
        buckets = cursor.fetchall()
    return Drift(creators=creators, buckets=buckets, missing_triggers=missing)


def rebuild(connection) -> None:
    """Recompute both tables from ``content_assets`` in one transaction (writers of assets
    wait for it; readers see the old counts until it commits)."""
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in REBUILD_STATEMENTS:
            cursor.execute(statement)


def database_checks(connection, *, repair: bool = False) -> list[tuple[str, bool, str]]:
    """``validate_database``'s checks for this app (``ContentConfig.database_checks``):
    ``[(name, ok, detail)]``. With ``repair``, drifted counts are rebuilt first and the
    check reports what it fixed."""
    found = drift(connection)
    fixed = ""
    if repair and not found.ok:
        rebuild(connection)
        fixed = (
            f"rebuilt ({len(found.creators)} creator(s) and {len(found.buckets)} bucket(s) "
            "were off); "
        )
        found = drift(connection)
    if found.missing_triggers:
        return [
            (
                "content_counts",
                False,
                f"{fixed}trigger(s) missing or disabled on content_assets: "
                f"{', '.join(found.missing_triggers)} (run manage.py migrate)",
            )
        ]
    if not found.ok:
        parts = []
        if found.creators:
            key, maintained, actual = found.creators[0]
            parts.append(
                f"{len(found.creators)} creator count(s) differ from content_assets "
                f"(e.g. user {key}: {maintained} counted, {actual} in the table)"
            )
        if found.buckets:
            key, maintained, actual = found.buckets[0]
            parts.append(
                f"{len(found.buckets)} quarter-hour bucket(s) differ "
                f"(e.g. {key.isoformat()}: {maintained} counted, {actual} in the table)"
            )
        return [
            (
                "content_counts",
                False,
                fixed + "; ".join(parts) + " (manage.py validate_database --rebuild-counts)",
            )
        ]
    return [
        (
            "content_counts",
            True,
            f"{fixed}assets per creator and per quarter hour agree with content_assets",
        )
    ]
