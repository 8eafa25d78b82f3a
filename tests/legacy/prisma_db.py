"""A Prisma-era Huntaze database for the import tests, on the server the tests already use.

Built from the schema the repository ships (``legacy/schema/schema.sql``) in a database named
after the test database, on the same server with the same credentials: with ``DATABASE_URL``
that is the CI's PostgreSQL, without it the embedded server. The fixture rows come from
``tests/legacy/fixtures/data.sql`` (every edge case of docs/migration.md) and the bcryptjs
hashes in ``tests/legacy/fixtures/bcryptjs_hashes.json`` (made once by ``make_hashes.js``).
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import psycopg
from django.db import connection
from psycopg import sql

from tests.ops.conftest import _server_params, admin_sql, database_url

REPO = Path(__file__).resolve().parents[2]
SCHEMA_SQL = REPO / "legacy" / "schema" / "schema.sql"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HASHES = {c["key"]: c for c in json.loads((FIXTURES / "bcryptjs_hashes.json").read_text())}

_seq = itertools.count(1)


def password(key: str) -> str:
    return HASHES[key]["password"]


def _base_name() -> str:
    return f"{connection.settings_dict['NAME'][:32]}_prisma_{os.getpid()}"


class PrismaDatabase:
    """One throw-away legacy database. ``schema`` loads schema.sql, ``rows`` the fixture rows."""

    def __init__(self, *, schema: bool = True, rows: bool = True, template: str | None = None):
        self.name = f"{_base_name()}_{next(_seq)}"
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name))
        if template:
            create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(self.name), sql.Identifier(template)
            )
        admin_sql(create)
        self.url = database_url(self.name)
        if template is None and schema:
            self.execute(SCHEMA_SQL.read_text())
            if rows:
                self.load_rows()

    def load_rows(self) -> None:
        text = (FIXTURES / "data.sql").read_text()
        for key, case in HASHES.items():
            text = text.replace(f"{{hash:{key}}}", case["hash"])
        self.execute(text)

    def execute(self, statement: str, params=None) -> list[tuple]:
        with psycopg.connect(dbname=self.name, autocommit=True, **_server_params()) as conn:
            cur = conn.execute(statement, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def drop(self) -> None:
        admin_sql(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
        )
