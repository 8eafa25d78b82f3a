"""Throw-away PostgreSQL databases for the operator commands, run in subprocesses.

Each database is created next to the test database (same server, same credentials), migrated by
a ``manage.py migrate`` subprocess with production settings, and dropped afterwards, so
pytest-django's own test database is never touched.
"""

from __future__ import annotations

import itertools
import os
import subprocess

import psycopg
import pytest
from psycopg import sql

from tests.servers import database_url, manage, migrate, production_env
from tests.servers import server_params as _server_params

_seq = itertools.count(1)


def admin_sql(*statements: sql.Composable | str, dbname: str = "postgres") -> None:
    with psycopg.connect(dbname=dbname, autocommit=True, **_server_params()) as conn:
        for statement in statements:
            conn.execute(statement)


class ThrowawayDatabase:
    def __init__(self):
        self.name = f"ops_throwaway_{os.getpid()}_{next(_seq)}"
        admin_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.url = database_url(self.name)
        self.env = production_env(self.url)

    def migrate(self) -> None:
        migrate(self.env)

    def execute(self, statement: str, params=None) -> list[tuple]:
        with psycopg.connect(dbname=self.name, autocommit=True, **_server_params()) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def manage(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return manage(*args, env=env or self.env)

    def drop(self) -> None:
        admin_sql(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
        )


@pytest.fixture
def throwaway_db():
    """A fresh, migrated database of its own (production settings in its ``env``)."""
    db = ThrowawayDatabase()
    try:
        db.migrate()
        yield db
    finally:
        db.drop()
