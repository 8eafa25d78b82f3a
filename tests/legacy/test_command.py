"""``manage.py import_legacy`` as operators run it: exit status and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import connection

from accounts.models import User
from tests.legacy.conftest import import_legacy
from tests.legacy.prisma_db import PrismaDatabase
from tests.ops.conftest import database_url
from tests.servers import REPO, free_port, manage, production_env

pytestmark = pytest.mark.slow


def import_legacy_process(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py import_legacy`` as an operator runs it: production settings, on the test
    database (so the test sees what it wrote)."""
    environment = production_env(database_url(connection.settings_dict["NAME"]))
    environment.pop("LEGACY_DATABASE_URL", None)
    environment.update(env)
    return manage("import_legacy", *args, env=environment)


def assert_one_line_failure(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.mark.django_db(transaction=True)
def test_a_real_run_exits_0_and_the_creators_are_there(prisma):
    # The old app's own DATABASE_URL works as it is, Prisma's ?schema= included.
    sep = "&" if "?" in prisma.url else "?"
    result = import_legacy_process(
        "--json", LEGACY_DATABASE_URL=f"{prisma.url}{sep}schema=public&connection_limit=5"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["tables"]["users"]["imported"] == 10
    assert report["conflicts"]  # conflicts are in the report, not in the exit status
    assert User.objects.filter(email="ann.creator@example.com").exists()
    again = import_legacy_process("--source", prisma.url)
    assert again.returncode == 0, again.stderr
    assert "users" in again.stdout and "Conflicts (" in again.stdout


@pytest.mark.django_db
def test_an_unreachable_source_fails_in_one_line_without_the_password():
    url = f"postgres://legacy:S3cret-Pw@127.0.0.1:{free_port()}/prisma"
    line = assert_one_line_failure(
        import_legacy_process("--source", url),
        "cannot connect to the legacy database",
        "legacy:***@127.0.0.1",
    )
    assert "S3cret-Pw" not in line


@pytest.mark.django_db
def test_no_source_fails_in_one_line():
    assert_one_line_failure(import_legacy_process(), "LEGACY_DATABASE_URL")


@pytest.mark.django_db
def test_an_empty_database_is_not_a_prisma_era_database():
    empty = PrismaDatabase(schema=False)
    try:
        assert_one_line_failure(
            import_legacy_process("--source", empty.url),
            "is not a Prisma-era Huntaze database",
            "users",
        )
    finally:
        empty.drop()


@pytest.mark.django_db
def test_a_database_missing_a_table_or_column_is_refused_before_anything_is_written():
    partial = PrismaDatabase(rows=False)
    try:
        partial.execute("DROP TABLE beta_invites")
        assert_one_line_failure(
            import_legacy_process("--source", partial.url), "missing table(s) beta_invites"
        )
        partial.execute('ALTER TABLE users DROP COLUMN "passwordHash"')
        partial.execute(
            'CREATE TABLE beta_invites (id TEXT, email TEXT, code TEXT, "usedAt" TIMESTAMP(3), "createdAt" TIMESTAMP(3))'
        )
        assert_one_line_failure(
            import_legacy_process("--source", partial.url), 'users."passwordHash"'
        )
        assert not User.objects.exists()
    finally:
        partial.drop()


@pytest.mark.django_db
def test_a_prisma_database_without_rows_imports_nothing_and_succeeds():
    bare = PrismaDatabase(rows=False)
    try:
        report = import_legacy(bare)
        assert all(sum(c.values()) == 0 for c in report["tables"].values())
        assert report["conflicts"] == [] and report["problems"] == []
    finally:
        bare.drop()


@pytest.mark.django_db(transaction=True)
def test_progress_is_shown_on_a_terminal_only(prisma):
    import os
    import pty

    primary, secondary = pty.openpty()
    try:
        environment = production_env(database_url(connection.settings_dict["NAME"]))
        proc = subprocess.run(
            [sys.executable, "manage.py", "import_legacy", "--source", prisma.url, "--json"],
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=120,
        )
        os.close(secondary)
        secondary = -1
        terminal = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(primary)
        if secondary != -1:
            os.close(secondary)
    assert proc.returncode == 0
    assert b"content_assets: 7/7" in terminal
    assert json.loads(proc.stdout)["tables"]["content_assets"]["read"] == 7  # stdout stays JSON
    # Not a terminal: no progress at all.
    quiet = import_legacy_process("--source", prisma.url, "--json")
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.django_db
def test_a_malformed_url_fails_in_one_line_without_a_traceback_or_the_password():
    result = import_legacy_process(LEGACY_DATABASE_URL="postgres://u:S3cret-Pw@[::1/db")
    line = assert_one_line_failure(result, "the legacy database URL is malformed")
    assert "S3cret-Pw" not in line


@pytest.mark.django_db(transaction=True)
def test_resolve_from_the_command_line_prints_one_line(prisma):
    assert import_legacy_process(LEGACY_DATABASE_URL=prisma.url).returncode == 0
    result = import_legacy_process(
        "--resolve", "cldupnew00000000000dupn1", LEGACY_DATABASE_URL=prisma.url
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("dup@example.com is resolved to legacy user")
    refused = import_legacy_process(
        "--resolve", "clbob0000000000000000bob1", LEGACY_DATABASE_URL=prisma.url
    )
    assert_one_line_failure(refused, "is not held back")
