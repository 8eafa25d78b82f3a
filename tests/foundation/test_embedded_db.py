"""The embedded default: no DATABASE_URL starts PostgreSQL from the pip package, and the last
process to leave stops it (docs/configuration.md, Settings modules)."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from tests.servers import manage

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _postgres_running_on(pgdata: Path) -> bool:
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            return True
    return False


def test_without_database_url_the_embedded_server_is_started_reused_and_stopped():
    pgdata = Path(tempfile.mkdtemp(prefix=".pgdata-embedded-test-", dir=REPO))
    shutil.rmtree(pgdata)  # let the package create and initialise it
    # Development, as `make run` starts it: the default (production) settings module with
    # DJANGO_DEBUG=true. (The test settings' own fallback is what `make test` uses.)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="huntaze.settings",
        DJANGO_DEBUG="true",
        EMBEDDED_PGDATA=str(pgdata),
    )
    try:
        for _run in range(2):  # the second run reuses the data folder
            migrate = manage("migrate", "--noinput", "-v", "0", env=env, timeout=300)
            assert migrate.returncode == 0, migrate.stderr[-2000:]
            probe = manage(
                "shell",
                "-c",
                "from django.db import connection as c; cur = c.cursor(); "
                "cur.execute('SELECT count(*) FROM users'); print('users', cur.fetchone()[0]); "
                "print('engine', c.vendor)",
                env=env,
            )
            assert probe.returncode == 0, probe.stderr[-2000:]
            assert "engine postgresql" in probe.stdout and "users 0" in probe.stdout
            assert (pgdata / "PG_VERSION").exists()
            # The last process using it stopped it: no stray server.
            assert not _postgres_running_on(pgdata)
    finally:
        shutil.rmtree(pgdata, ignore_errors=True)


def test_dead_or_unreadable_handles_never_keep_the_embedded_server_alive(tmp_path):
    import json

    from huntaze.devdb import _forget_dead_handles

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([dead_pid, os.getpid()]))
    _forget_dead_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]
    # A file truncated by a process killed mid-write is repaired, keeping the caller.
    handles.write_text("")
    _forget_dead_handles(tmp_path, os.getpid())
    assert json.loads(handles.read_text()) == [os.getpid()]
