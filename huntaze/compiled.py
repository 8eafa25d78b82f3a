"""Querysets compiled once per process, then executed with new parameters (docs/performance-notes.md).

Building a queryset (``filter()``, ``annotate()``, ``select_related()`` clone the query) and
compiling it to SQL cost more Python time than the round trip to PostgreSQL on the hot reads:
the authenticated user's lookup, the profile's annotated query, a content asset. A
``CompiledQuery`` builds its queryset once, with sentinel values standing for the parameters,
keeps the SQL and the compiler's column map, and on each call only substitutes the parameters,
executes through Django's cursor (so query logging, test query counts, the metrics wrapper and
database error handling see it as usual) and builds model instances exactly as Django's
``ModelIterable`` does (``from_db``, select_related populators, annotations, field converters).

Rules for a query compiled here: every value that changes between calls is a parameter named by
a sentinel; the rest of the SQL must not depend on the time or the request (``timezone.now()``
inside the build function would be frozen at the first call). A sentinel must reach the SQL
parameters unchanged (UUIDs, dates and text do with PostgreSQL). Slicing (LIMIT/OFFSET) is
inlined by Django, so it belongs in the build function only as a constant; ``limit_offset=True``
appends ``LIMIT %s OFFSET %s`` instead (plain SELECTs only). Tests pin each compiled query to
the ORM queryset it stands for (tests/foundation/test_compiled.py and the callers' tests).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# Stand-ins for parameters, for queries whose parameters are a UUID or a date (the callers').
UUID_SENTINEL = uuid.UUID("5e171ee0-0000-4000-8000-00000000c0de")
UUID_SENTINEL_2 = uuid.UUID("5e171ee0-0000-4000-8000-00000000c0df")
DATE_SENTINEL = dt.date(1901, 2, 1)


class _Compiled:
    __slots__ = (
        "annotations",
        "converters",
        "db",
        "init_list",
        "model",
        "model_slice",
        "params",
        "populators",
        "slots",
        "sql",
    )


class CompiledQuery:
    """``build(*sentinels)`` returns the queryset; ``fetch(*values)`` runs it with ``values``."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *sentinels: Any,
        limit_offset: bool = False,
    ) -> None:
        self.build = build
        self.sentinels = sentinels
        self.limit_offset = limit_offset
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()

    def queryset(self, *values: Any) -> QuerySet:
        """The ORM queryset this stands for, with ``values`` (what tests compare against)."""
        return self.build(*values)

    def _compile(self) -> _Compiled:
        queryset = self.build(*self.sentinels)
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        slots: list[list[int]] = []
        for sentinel in self.sentinels:
            found = [i for i, p in enumerate(params) if type(p) is type(sentinel) and p == sentinel]
            if not found:
                raise ValueError(f"sentinel {sentinel!r} is not among the query's parameters")
            slots.append(found)
        if self.limit_offset:
            if queryset.query.low_mark or queryset.query.high_mark:
                raise ValueError("limit_offset=True needs an unsliced queryset")
            sql = f"{sql} LIMIT %s OFFSET %s"
        select, klass_info = compiler.select, compiler.klass_info
        model_fields = klass_info["select_fields"]
        start, end = model_fields[0], model_fields[-1] + 1
        compiled = _Compiled()
        compiled.sql = sql
        compiled.params = list(params)
        compiled.slots = slots
        compiled.db = db
        compiled.model = klass_info["model"]
        compiled.model_slice = slice(start, end)
        compiled.init_list = [f[0].target.attname for f in select[start:end]]
        compiled.populators = get_related_populators(klass_info, select, db)
        compiled.annotations = list((compiler.annotation_col_map or {}).items())
        compiled.converters = list(
            compiler.get_converters([s[0] for s in select[0 : compiler.col_count]]).items()
        )
        return compiled

    def _get_compiled(self) -> _Compiled:
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._compile()
                compiled = self._compiled
        return compiled

    def fetch(self, *values: Any, limit: int | None = None, offset: int = 0) -> list:
        """The model instances the queryset built with ``values`` would give, in its order."""
        compiled = self._get_compiled()
        params = compiled.params.copy()
        for slots, value in zip(compiled.slots, values, strict=True):
            for i in slots:
                params[i] = value
        if self.limit_offset:
            params.extend((limit, offset))
        connection = connections[compiled.db]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: Sequence = cursor.fetchall()
        return [self._instance(compiled, row, connection) for row in rows]

    def first(self, *values: Any) -> Any:
        rows = self.fetch(*values)
        return rows[0] if rows else None

    @staticmethod
    def _instance(compiled: _Compiled, row: Sequence, connection) -> Any:
        if compiled.converters:
            row = list(row)
            for pos, (convs, expression) in compiled.converters:
                value = row[pos]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[pos] = value
        obj = compiled.model.from_db(compiled.db, compiled.init_list, row[compiled.model_slice])
        for populator in compiled.populators:
            populator.populate(row, obj)
        for name, pos in compiled.annotations:
            setattr(obj, name, row[pos])
        return obj
