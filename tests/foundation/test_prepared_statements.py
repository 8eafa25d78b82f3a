"""Prepared statements (``DATABASE_PREPARED_STATEMENTS``, on by default) survive a migration run by
another process while the app serves (huntaze/db.py ``prepared_statements_survive_migrations``):
PostgreSQL refuses a statement prepared before a column it reads changed type ("cached plan must
not change result type"); the app drops its prepared statements and runs the statement again."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

pytestmark = pytest.mark.django_db(transaction=True)

QUERY = "SELECT id, name FROM prepared_probe WHERE id = %s"


def _other_process_alters(length: int) -> None:
    params = connection.get_connection_params()
    params.pop("server_side_binding", None)
    params.pop("prepare_threshold", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(f"ALTER TABLE prepared_probe ALTER COLUMN name TYPE varchar({length})")


@pytest.fixture
def probe():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (id int PRIMARY KEY, name varchar(16))")
        cursor.execute("INSERT INTO prepared_probe VALUES (1, 'ann')")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS prepared_probe")


def _prepare() -> None:
    """Run the query past psycopg's prepare threshold (5): it is now a prepared statement."""
    assert connection.settings_dict["OPTIONS"].get("server_side_binding")
    with connection.cursor() as cursor:
        for _ in range(7):
            cursor.execute(QUERY, [1])
            assert cursor.fetchone() == (1, "ann")
    assert connection.connection._prepared._names  # psycopg holds it prepared


def test_a_statement_prepared_before_another_process_altered_its_column_runs_again(probe):
    _prepare()
    _other_process_alters(64)
    with connection.cursor() as cursor:
        cursor.execute(QUERY, [1])
        assert cursor.fetchone() == (1, "ann")
        cursor.execute(QUERY, [1])  # and the next ones too
        assert cursor.fetchone() == (1, "ann")


def test_inside_a_transaction_it_is_a_database_failure_and_the_next_one_works(probe):
    _prepare()
    _other_process_alters(64)
    with pytest.raises(OperationalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(QUERY, [1])
    with connection.cursor() as cursor:
        cursor.execute(QUERY, [1])
        assert cursor.fetchone() == (1, "ann")
