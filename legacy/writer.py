"""Set-based writes of planned rows: COPY into a staging table, then one INSERT and one UPDATE.

Each batch is one transaction: its rows, their ``LegacyRecord`` and anything derived from them
(allauth email addresses) commit together or not at all. A batch that a database constraint
refuses is retried row by row, so the one row that cannot be stored is reported with the
database's reason and the rest of the batch still lands.

The ownership invariant lives here, below every planner, so no rule upstream can break it: a
write never gives a row of ours another owner (``Target.owner_column``: the account a content
asset, a subscription record or a used invite belongs to) and never points a legacy row's
record at another row of ours. The UPDATE keeps the owner our row has (it may only fill an
empty one) and refuses the row when the planned owner differs; the record upsert refuses a
changed ``object_id``. A refused row is reported (``owner_change_refused``), never written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import DatabaseError, connection, transaction

from legacy.models import GONE

INSERT = "insert"
UPDATE = "update"
OWNER_CHANGE = "owner_change_refused"
CANNOT_STORE = "cannot_store"


class InvariantViolation(Exception):
    """A write would move a row of ours to another account, or re-point a legacy record."""


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
    owner_column: str | None = None  # the account the row belongs to, never changed by a write
    id_type: str = "uuid"

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


@dataclass(frozen=True)
class Record:
    """What an earlier run left for one legacy row (``existing_records``)."""

    object_id: str
    source_hash: str
    exists: bool  # our row is still there
    now_hash: str | None  # our row's target hash now
    untouched: bool  # nobody changed our row here since the import
    owner: str | None  # our row's owner now (``Target.owner_column``), as text

    @property
    def gone(self) -> bool:
        return self.source_hash == GONE


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
        record: Record | None,
        values: tuple[Any, ...],
        object_id: Any = None,
    ) -> Planned:
        """A new row (no ``record``: a new id unless ``object_id`` is given) or an update of
        the row an earlier run made; ``values`` follow the id."""
        if object_id is None:
            object_id = uuid.UUID(record.object_id) if record else uuid.uuid4()
        return cls(
            legacy_id=legacy_id,
            source_hash=source_hash,
            op=UPDATE if record else INSERT,
            values=(object_id, *values),
            expected_hash=record.now_hash if record else None,
        )


@dataclass
class Failure:
    row: Planned
    reason: str
    kind: str = CANNOT_STORE


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
    changed here meanwhile is not). Raises ``InvariantViolation`` (the caller rolls back)."""
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
            written_ids.update(_update(cursor, target))
        written = [r for r in rows if str(r.object_id) in written_ids]
        if written:
            _upsert_records(cursor, target, written)
            if after_write is not None:
                after_write(cursor, target, written)
    return written


def _update(cursor, target: Target) -> list[str]:
    expressions = dict(target.update_expressions or {})
    owner = target.owner_column
    if owner:
        cursor.execute(
            f"SELECT s._legacy_id FROM {target.stage} s JOIN {target.table} t ON t.id = s.id "  # noqa: S608
            f'WHERE s._op = %s AND t."{owner}" IS NOT NULL AND s."{owner}" IS NOT NULL '
            f'AND t."{owner}" <> s."{owner}" LIMIT 1',
            [UPDATE],
        )
        moved = cursor.fetchone()
        if moved is not None:
            raise InvariantViolation(moved[0])
        # Only an empty owner may be filled (an invite used since); a set one stays.
        expressions[owner] = f'COALESCE(t."{owner}", s."{owner}")'
    assignments = ", ".join(
        f'"{c}" = {expressions.get(c, f"s.{c}")}' for c in target.update_columns
    )
    cursor.execute(
        f"UPDATE {target.table} t SET {assignments} FROM {target.stage} s "  # noqa: S608
        f"WHERE s._op = %s AND t.id = s.id AND {target.target_hash('t')} = s._expected "
        "RETURNING t.id",
        [UPDATE],
    )
    return [str(r[0]) for r in cursor.fetchall()]


def _upsert_records(cursor, target: Target, written: list[Planned]) -> None:
    """The bookkeeping of ``written``; a record never changes the row it points at."""
    ids = [str(r.object_id) for r in written]
    cursor.execute(
        "INSERT INTO legacy_records "  # noqa: S608
        "(source, legacy_id, object_id, source_hash, target_hash, imported_at, synced_at) "
        f"SELECT %s, s._legacy_id, t.id::text, s._source_hash, {target.target_hash('t')}, "
        f"now(), now() FROM {target.stage} s JOIN {target.table} t ON t.id = s.id "
        f"WHERE t.id = ANY(%s::{target.id_type}[]) "
        "ON CONFLICT (source, legacy_id) DO UPDATE SET source_hash = EXCLUDED.source_hash, "
        "target_hash = EXCLUDED.target_hash, synced_at = EXCLUDED.synced_at "
        "WHERE legacy_records.object_id = EXCLUDED.object_id",
        [target.source, ids],
    )
    if cursor.rowcount != len(ids):
        raise InvariantViolation(written[0].legacy_id if len(written) == 1 else "")


def _reason(exc: Exception) -> str:
    # Django wraps psycopg's errors (the cause); COPY raises psycopg's own. Only the primary
    # message and the constraint name: the detail and context lines quote the row's values.
    diag = getattr(exc, "diag", None) or getattr(exc.__cause__, "diag", None)
    if diag is not None and diag.message_primary:
        constraint = f" ({diag.constraint_name})" if diag.constraint_name else ""
        return f"cannot be stored: {diag.message_primary}{constraint}"
    return f"cannot be stored: {exc.__class__.__name__}"


OWNER_CHANGE_REASON = (
    "refused: writing it would give a row of this product another owner (or point the legacy "
    "row at another row); nothing was written"
)


def write_batch(
    target: Target, rows: list[Planned], *, after_write: AfterWrite | None = None
) -> tuple[list[Planned], list[Failure]]:
    """Write one batch atomically; on a refused batch, retry each row alone.

    Returns the rows written and the rows refused: by the database, with its reason (the
    constraint or type error, never the row's values), or by the ownership invariant.
    """
    if not rows:
        return [], []
    try:
        with transaction.atomic():
            return _write(target, rows, after_write), []
    except InvariantViolation:
        if len(rows) == 1:
            return [], [Failure(rows[0], OWNER_CHANGE_REASON, OWNER_CHANGE)]
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


def existing_records(target: Target, legacy_ids: Iterable[str]) -> dict[str, Record]:
    """``legacy_id -> Record`` for the already imported ones among ``legacy_ids``."""
    legacy_ids = list(legacy_ids)
    if not legacy_ids:
        return {}
    owner = f't."{target.owner_column}"::text' if target.owner_column else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.legacy_id, m.object_id, m.source_hash, t.id IS NOT NULL, "  # noqa: S608
            f"{target.target_hash('t')}, m.target_hash, {owner} "
            f"FROM legacy_records m LEFT JOIN {target.table} t "
            f"ON t.id = m.object_id::{target.id_type} "
            "WHERE m.source = %s AND m.legacy_id = ANY(%s)",
            [target.source, legacy_ids],
        )
        return {
            legacy_id: Record(
                object_id=object_id,
                source_hash=source_hash,
                exists=exists,
                now_hash=now_hash,
                untouched=now_hash == then_hash,
                owner=owner_now,
            )
            for legacy_id, object_id, source_hash, exists, now_hash, then_hash, owner_now in cursor
        }


def recorded_ids(source: str) -> set[str]:
    """The legacy ids of ``source`` an earlier run imported and whose deletion in the old app
    has not been carried over yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT legacy_id FROM legacy_records WHERE source = %s AND source_hash <> %s",
            [source, GONE],
        )
        return {row[0] for row in cursor}


def mark_gone(source: str, legacy_ids: Sequence[str]) -> None:
    """Remember that these legacy rows' deletion in the old app is carried over (or settled)."""
    if legacy_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE legacy_records SET source_hash = %s, synced_at = now() "
                "WHERE source = %s AND legacy_id = ANY(%s)",
                [GONE, source, list(legacy_ids)],
            )
