"""Set-based writes of planned rows: COPY into a staging table, then one INSERT and one UPDATE.

Each batch is one transaction: its rows, their ``LegacyRecord`` and anything derived from them
(allauth email addresses) commit together or not at all. A batch that a database constraint
refuses is retried row by row, so the one row that cannot be stored is reported with the
database's reason and the rest of the batch still lands.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import DatabaseError, connection, transaction

INSERT = "insert"
UPDATE = "update"


@dataclass(frozen=True)
class Target:
    """How rows of one legacy table are written into one table of ours."""

    source: str  # the legacy table (the LegacyRecord ``source``)
    table: str
    columns: tuple[str, ...]  # written on insert; the first is the primary key ``id``
    # Set on update, and what "changed here since the import" compares: every column but the
    # id unless said otherwise.
    update_columns: tuple[str, ...] = ()
    hash_columns: tuple[str, ...] = ()
    update_expressions: dict[str, str] | None = None  # column -> SQL over ``t`` and ``s``

    def __post_init__(self) -> None:
        for name in ("update_columns", "hash_columns"):
            if not getattr(self, name):
                object.__setattr__(self, name, self.columns[1:])

    @property
    def stage(self) -> str:
        return f"legacy_stage_{self.table}"

    def target_hash(self, alias: str = "t") -> str:
        cols = ", ".join(f'{alias}."{c}"' for c in self.hash_columns)
        return f"md5(ROW({cols})::text)"


@dataclass
class Planned:
    legacy_id: str
    source_hash: str
    op: str  # INSERT or UPDATE
    values: tuple[Any, ...]  # in Target.columns order; values[0] is our id
    expected_hash: str | None = None  # UPDATE: our row's target hash when planned

    @property
    def object_id(self):
        return self.values[0]

    @classmethod
    def of(
        cls,
        *,
        legacy_id: str,
        source_hash: str,
        record: tuple | None,
        values: tuple[Any, ...],
        object_id: Any = None,
    ) -> Planned:
        """A new row (no ``record`` from ``existing_records``: a new id unless ``object_id`` is
        given) or an update of the row an earlier run made; ``values`` follow the id."""
        if object_id is None:
            object_id = uuid.UUID(record[0]) if record else uuid.uuid4()
        return cls(
            legacy_id=legacy_id,
            source_hash=source_hash,
            op=UPDATE if record else INSERT,
            values=(object_id, *values),
            expected_hash=record[4] if record else None,
        )


@dataclass
class Failure:
    row: Planned
    reason: str


AfterWrite = Callable[[Any, Target, list[Planned]], None]


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _ensure_stage(cursor, target: Target) -> None:
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {target.stage} AS "  # noqa: S608 - names from code
        f"SELECT {_quoted(target.columns)}, NULL::text AS _legacy_id, NULL::text AS _source_hash, "
        f"NULL::text AS _op, NULL::text AS _expected FROM {target.table} WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {target.stage}")


def _write(target: Target, rows: list[Planned], after_write: AfterWrite | None) -> list[Planned]:
    """Write ``rows`` in the current transaction; return those written (an UPDATE whose row
    changed here meanwhile is not)."""
    cols = _quoted(target.columns)
    with connection.cursor() as cursor:
        _ensure_stage(cursor, target)
        with cursor.copy(
            f"COPY {target.stage} ({cols}, _legacy_id, _source_hash, _op, _expected) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(
                    (*row.values, row.legacy_id, row.source_hash, row.op, row.expected_hash)
                )
        written_ids: set[str] = set()
        if any(r.op == INSERT for r in rows):
            cursor.execute(
                f"INSERT INTO {target.table} ({cols}) "  # noqa: S608
                f"SELECT {cols} FROM {target.stage} WHERE _op = %s",
                [INSERT],
            )
            written_ids.update(str(r.object_id) for r in rows if r.op == INSERT)
        if any(r.op == UPDATE for r in rows):
            expressions = target.update_expressions or {}
            assignments = ", ".join(
                f'"{c}" = {expressions.get(c, f"s.{c}")}' for c in target.update_columns
            )
            cursor.execute(
                f"UPDATE {target.table} t SET {assignments} FROM {target.stage} s "  # noqa: S608
                f"WHERE s._op = %s AND t.id = s.id AND {target.target_hash('t')} = s._expected "
                "RETURNING t.id",
                [UPDATE],
            )
            written_ids.update(str(r[0]) for r in cursor.fetchall())
        written = [r for r in rows if str(r.object_id) in written_ids]
        if written:
            cursor.execute(
                "INSERT INTO legacy_records "  # noqa: S608
                "(source, legacy_id, object_id, source_hash, target_hash, merged, imported_at, synced_at) "
                f"SELECT %s, s._legacy_id, t.id::text, s._source_hash, {target.target_hash('t')}, false, "
                f"now(), now() FROM {target.stage} s JOIN {target.table} t ON t.id = s.id "
                "WHERE t.id = ANY(%s::uuid[]) "
                "ON CONFLICT (source, legacy_id) DO UPDATE SET object_id = EXCLUDED.object_id, "
                "source_hash = EXCLUDED.source_hash, target_hash = EXCLUDED.target_hash, "
                "merged = false, synced_at = EXCLUDED.synced_at",
                [target.source, [str(r.object_id) for r in written]],
            )
            if after_write is not None:
                after_write(cursor, target, written)
    return written


def _reason(exc: Exception) -> str:
    # Django wraps psycopg's errors (the cause); COPY raises psycopg's own. Only the primary
    # message and the constraint name: the detail and context lines quote the row's values.
    diag = getattr(exc, "diag", None) or getattr(exc.__cause__, "diag", None)
    if diag is not None and diag.message_primary:
        constraint = f" ({diag.constraint_name})" if diag.constraint_name else ""
        return f"cannot be stored: {diag.message_primary}{constraint}"
    return f"cannot be stored: {exc.__class__.__name__}"


def write_batch(
    target: Target, rows: list[Planned], *, after_write: AfterWrite | None = None
) -> tuple[list[Planned], list[Failure]]:
    """Write one batch atomically; on a refused batch, retry each row alone.

    Returns the rows written and the rows the database refused, with its reason (the
    constraint or type error, never the row's values).
    """
    if not rows:
        return [], []
    try:
        with transaction.atomic():
            return _write(target, rows, after_write), []
    except (DatabaseError, psycopg.DataError, psycopg.IntegrityError) as exc:
        if len(rows) == 1:
            return [], [Failure(rows[0], _reason(exc))]
    written: list[Planned] = []
    failures: list[Failure] = []
    for row in rows:
        done, failed = write_batch(target, [row], after_write=after_write)
        written += done
        failures += failed
    return written, failures


def existing_records(
    target: Target, legacy_ids: Sequence[str]
) -> dict[str, tuple[str, str, bool, bool, str | None, bool]]:
    """``legacy_id -> (object_id, source_hash, merged, target_exists, target_hash_now,
    untouched)`` for the already imported ones among ``legacy_ids``.

    ``untouched`` is true when our row still has the columns the import left (nobody changed
    it here since).
    """
    if not legacy_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.legacy_id, m.object_id, m.source_hash, m.merged, t.id IS NOT NULL, "  # noqa: S608
            f"{target.target_hash('t')}, m.target_hash "
            f"FROM legacy_records m LEFT JOIN {target.table} t ON t.id = m.object_id::uuid "
            "WHERE m.source = %s AND m.legacy_id = ANY(%s)",
            [target.source, list(legacy_ids)],
        )
        return {
            legacy_id: (object_id, source_hash, merged, exists, now_hash, now_hash == then_hash)
            for legacy_id, object_id, source_hash, merged, exists, now_hash, then_hash in cursor
        }


def record_merged(source: str, rows: Sequence[tuple[str, str, str]]) -> None:
    """Remember legacy rows folded into another row's object: ``(legacy_id, object_id,
    source_hash)``."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO legacy_records "
            "(source, legacy_id, object_id, source_hash, target_hash, merged, imported_at, synced_at) "
            "VALUES (%s, %s, %s, %s, NULL, true, now(), now()) "
            "ON CONFLICT (source, legacy_id) DO UPDATE SET object_id = EXCLUDED.object_id, "
            "source_hash = EXCLUDED.source_hash, merged = true, synced_at = now()",
            [(source, legacy_id, str(object_id), h) for legacy_id, object_id, h in rows],
        )
