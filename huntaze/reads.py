"""The hot reads in plain SQL, through Django's cursor, mapped with public APIs only.

Building a queryset (each ``filter()``, ``annotate()``, ``select_related()`` clones the query)
and compiling it to SQL cost more Python time than the round trip to PostgreSQL on the reads
every request makes: the authenticated user, the profile, a content asset, a page of the list
(docs/performance-notes.md). Those reads are written once as SQL text, when their module is
imported, and run through ``connection.cursor()``: query logging, test query counts, the metrics
wrapper, prepared statements and database error handling see them as any other query.

``ModelColumns`` turns a model into its SELECT list and rows back into model instances, as
Django's documentation describes ``Model.from_db()``: the concrete fields in order, and each
field's own ``from_db_value()`` (a ``JSONField``'s text to Python) applied to its value. The
rules a read applies (owner only, not deleted, active) are written next to it, and
``tests/foundation/test_reads.py`` pins every read to the ORM queryset it stands for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def quote(name: str) -> str:
    """A PostgreSQL identifier, quoted (without asking a connection: the SQL text is built at
    import, also under settings that have no database, where ``manage.py`` must still run)."""
    return '"' + name.replace('"', '""') + '"'


def table(model: type[Model]) -> str:
    """The model's table name, quoted for SQL."""
    return quote(model._meta.db_table)


def column(model: type[Model], field: str, alias: str) -> str:
    """``alias."column"`` of the model's field ``field`` (its database column)."""
    return f"{alias}.{quote(model._meta.get_field(field).column)}"


class ModelColumns:
    """A model's concrete columns under a table alias, and instances built from rows."""

    def __init__(self, model: type[Model], alias: str) -> None:
        fields = model._meta.concrete_fields
        self.model = model
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
        self.width = len(fields)
        self._names = [f.attname for f in fields]
        self._converters = [
            (i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")
        ]

    def instance(self, row: Sequence[Any], start: int = 0) -> Any:
        """The model instance of ``row[start:start + width]``, as a queryset would give it."""
        values = row[start : start + self.width]
        if self._converters:
            values = list(values)
            for i, convert in self._converters:
                values[i] = convert(values[i], None, connection)
        return self.model.from_db(connection.alias, self._names, values)


def fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: Sequence[Any], *, custom_plan: bool = False) -> list[tuple]:
    """The rows of ``sql``. ``custom_plan``: this statement is never prepared on the server,
    so PostgreSQL plans it for the values of each execution (below)."""
    with connection.cursor() as cursor:
        if not custom_plan:
            cursor.execute(sql, params)
            return cursor.fetchall()
        with planned_for_each_execution():
            cursor.execute(sql, params)
        return cursor.fetchall()


@contextlib.contextmanager
def planned_for_each_execution():
    """Statements run inside are sent unprepared (psycopg's ``prepare_threshold = None`` on this
    connection for the duration, its documented switch), so PostgreSQL plans each with the
    values it is given: a custom plan every time.

    A prepared statement (psycopg prepares one it has run ``prepare_threshold`` times, settings
    ``DATABASE_PREPARED_STATEMENTS``) gets custom plans for its first five executions, then
    PostgreSQL may switch to one generic plan for every value. That is right for the hot reads
    by primary key; it is wrong where the best plan depends on the values, as for a search
    (docs/content.md, Search): the plan that reads one creator's matches through the
    owner-leading index is only seen as cheap when the planner knows the creator and the words.
    Costs a parse and a plan per execution (about a tenth of a millisecond here)."""
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = before
