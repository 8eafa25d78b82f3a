"""manage.py validate_database (docs/api.md, Operations): each outcome, in and out of process.

The broken databases are throw-away databases (tests/ops/conftest.py) checked by a subprocess
with production settings, exactly as an operator runs the command after a release.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from tests.servers import free_port, manage, production_env

CHECK_NAMES = [
    "database_url",
    "connection",
    "migrations",
    "tables",
    "indexes",
    "content_counts",
    "row_counts",
]


def _parse(stdout: str) -> dict:
    payload = json.loads(stdout)
    assert set(payload) == {"ok", "checks"}
    assert isinstance(payload["ok"], bool)
    for check in payload["checks"]:
        assert set(check) == {"name", "ok", "detail"}
        assert isinstance(check["ok"], bool) and isinstance(check["detail"], str)
    return payload


def _by_name(payload: dict) -> dict[str, dict]:
    return {check["name"]: check for check in payload["checks"]}


@pytest.mark.django_db
def test_healthy_test_database_in_process():
    out = io.StringIO()
    call_command("validate_database", "--json", stdout=out)  # no SystemExit: exit status 0
    payload = _parse(out.getvalue())
    assert payload["ok"] is True, payload
    assert [c["name"] for c in payload["checks"]] == CHECK_NAMES
    checks = _by_name(payload)
    assert "SELECT 1 in" in checks["connection"]["detail"]
    assert "users=" in checks["row_counts"]["detail"]
    assert "huntaze_cache=" in checks["row_counts"]["detail"]


@pytest.mark.slow
def test_healthy_database_exits_0(throwaway_db):
    result = throwaway_db.manage("validate_database", "--json")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    payload = _parse(result.stdout)
    assert payload["ok"] is True and all(c["ok"] for c in payload["checks"])
    checks = _by_name(payload)
    assert checks["database_url"]["detail"].startswith("PostgreSQL from DATABASE_URL")
    assert "users=0" in checks["row_counts"]["detail"]

    human = throwaway_db.manage("validate_database")
    assert human.returncode == 0
    assert "database ok" in human.stdout
    for name in CHECK_NAMES:
        assert name in human.stdout


@pytest.mark.slow
def test_unapplied_migration_fails(throwaway_db):
    # The database lacks the newest content migration: exactly what a release sees when its
    # code ships a migration that `migrate` has not run yet.
    (app, leaf) = next(
        node for node in MigrationLoader(None).graph.leaf_nodes() if node[0] == "content"
    )
    throwaway_db.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, leaf])

    result = throwaway_db.manage("validate_database", "--json")
    assert result.returncode == 1, result.stdout
    payload = _parse(result.stdout)
    checks = _by_name(payload)
    assert payload["ok"] is False
    assert checks["migrations"]["ok"] is False
    assert f"{app}.{leaf}" in checks["migrations"]["detail"]
    assert all(checks[name]["ok"] for name in CHECK_NAMES if name != "migrations")

    human = throwaway_db.manage("validate_database")
    assert human.returncode == 1
    assert "FAIL" in human.stdout and f"{app}.{leaf}" in human.stdout


@pytest.mark.slow
def test_missing_table_fails(throwaway_db):
    throwaway_db.execute("DROP TABLE beta_invites CASCADE")

    result = throwaway_db.manage("validate_database", "--json")
    assert result.returncode == 1, result.stdout
    payload = _parse(result.stdout)
    checks = _by_name(payload)
    assert payload["ok"] is False
    assert checks["tables"]["ok"] is False and "beta_invites" in checks["tables"]["detail"]
    assert checks["indexes"]["ok"] is False
    assert "beta_invites_created_idx" in checks["indexes"]["detail"]
    assert checks["migrations"]["ok"] is True  # the migration ran; the table was lost since
    assert "beta_invites=" not in checks["row_counts"]["detail"]


@pytest.mark.slow
def test_missing_index_fails(throwaway_db):
    throwaway_db.execute("DROP INDEX content_tags_gin")

    result = throwaway_db.manage("validate_database", "--json")
    assert result.returncode == 1, result.stdout
    checks = _by_name(_parse(result.stdout))
    assert checks["tables"]["ok"] is True
    assert checks["indexes"]["ok"] is False
    assert "content_assets.content_tags_gin" in checks["indexes"]["detail"]


@pytest.mark.slow
@pytest.mark.parametrize("as_json", [True, False])
def test_unreachable_database_fails_fast_without_the_password(as_json):
    password = "Sup3r-Secret-Pw"
    url = f"postgres://huntaze:{password}@127.0.0.1:{free_port()}/huntaze"  # nothing listens
    env = production_env(url)
    started = time.monotonic()
    result = manage("validate_database", *(["--json"] if as_json else []), env=env, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert elapsed < 20
    assert password not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if as_json:
        payload = _parse(result.stdout)
        checks = _by_name(payload)
        assert payload["ok"] is False
        assert checks["connection"]["ok"] is False
        assert checks["connection"]["detail"].startswith("cannot connect")
        assert "huntaze:***@127.0.0.1" in checks["database_url"]["detail"]
    else:
        assert "FAIL" in result.stdout and "cannot connect" in result.stdout


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://app:pa%40ss-w0rd@db.example.com:6543/huntaze", "app:***@db.example.com:6543"),
        ("postgresql://app:pa%40ss-w0rd@db.example.com/huntaze?sslmode=require", "app:***@"),
        ("postgres://postgres@/huntaze?host=%2Ftmp%2Fpg&port=5433", "(socket /tmp/pg, port 5433)"),
    ],
)
def test_described_urls_never_show_the_password(url, shown):
    from huntaze.management.commands.validate_database import describe_url

    described = describe_url(url)
    assert shown in described
    assert "pa@ss-w0rd" not in described and "pa%40ss-w0rd" not in described


@pytest.mark.slow
@pytest.mark.parametrize(
    ("database_url", "expected"),
    [(None, "DATABASE_URL is not set"), ("mysql://u:Secret-9@db/x", "must point to PostgreSQL")],
)
def test_missing_or_foreign_database_url_is_a_failed_check_not_a_crash(database_url, expected):
    env = production_env("")
    env.pop("DATABASE_URL")
    if database_url:
        env["DATABASE_URL"] = database_url
    result = manage("validate_database", "--json", env=env, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Secret-9" not in result.stdout + result.stderr
    payload = _parse(result.stdout)
    assert payload["ok"] is False
    assert payload["checks"][0]["name"] == "database_url"
    assert expected in payload["checks"][0]["detail"]
