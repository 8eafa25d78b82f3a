"""The first ``make run`` a newcomer sees (docs/ops.md, First run): what the Makefile's ``run``
recipe runs — ``migrate -v 0``, ``seed_beta_activity``, then ``runserver --seed`` with the
autoreloader — on a fresh database, read line by line.

Nothing alarming: no warning, no traceback, no line printed twice (Django's console handler and
our JSON one used to both print start-up lines; runserver printed plain-text request lines next
to our JSON ones), and the demo accounts with their password are the last lines, after the
server's own. ``/`` goes to the API docs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest

from tests.ops.conftest import ThrowawayDatabase
from tests.servers import REPO, free_port, manage

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PASSWORD = "First-Run-Passw0rd"


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, data: bytes | None = None) -> tuple[int, dict]:
    request = Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        response = build_opener(_NoRedirect).open(request, timeout=10)
        return response.status, dict(response.headers)
    except HTTPError as error:
        return error.code, dict(error.headers)


def _said(line: str) -> str:
    """What a line says: a JSON log line's message, or the text."""
    if line.startswith("{"):
        return json.loads(line)["message"]
    return line.strip()


@pytest.fixture
def fresh_db():
    db = ThrowawayDatabase()
    try:
        yield db
    finally:
        db.drop()


def test_the_first_run_prints_nothing_alarming_and_the_accounts_last(fresh_db):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))} | {
        "DATABASE_URL": fresh_db.url,
        "DJANGO_DEBUG": "true",
        "DJANGO_RUNSERVER_HIDE_WARNING": "true",  # as the Makefile
        "SEED_PASSWORD": PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }
    migrated = manage("migrate", "--noinput", "-v", "0", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    assert migrated.stdout == "" and migrated.stderr == ""
    activity = manage("seed_beta_activity", env=env, timeout=300)
    assert activity.returncode == 0, activity.stderr[-2000:]
    assert activity.stderr == "" and len(activity.stdout.strip().splitlines()) == 1

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--seed", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the reloader's child too is stopped with the group
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.lstrip().startswith("CREATOR"):
                break
        assert lines and lines[-1].lstrip().startswith("CREATOR"), "\n".join(lines)
        base = f"http://127.0.0.1:{port}"
        status, headers = _get(base + "/")
        assert (status, headers.get("Location")) == (302, "/api/docs")
        assert _get(base + "/api/nope")[0] == 404
        assert _get(base + "/api/auth/signin", b'{"email": "x@y.test", "password": "z"}')[0] == 401
        time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        rest, _ = server.communicate(timeout=30)
    startup = lines
    everything = lines + rest.splitlines()
    text = "\n".join(everything)

    requests = [line for line in everything if '"logger": "huntaze.request"' in line]
    assert len(requests) == 3, text  # one JSON line per request (a 4xx one is a WARNING line)
    rest_of_it = "\n".join(line for line in everything if line not in requests)
    for alarming in ("Warning", "WARNING", "XDG_RUNTIME_DIR", "Traceback", "Error", "error"):
        assert alarming not in rest_of_it, (alarming, rest_of_it)
    # Every request is one JSON line (RequestLogMiddleware), never also a plain-text one.
    assert not re.search(r'"(GET|POST) /\S* HTTP/1\.1" \d{3}', text), text
    # Nothing said twice, in text or as a JSON log line (blank lines aside).
    said = [_said(line) for line in startup if line.strip()]
    assert len(said) == len(set(said)), said
    # The server's lines, then the seed's, the accounts last.
    quit_at = next(i for i, line in enumerate(startup) if line.startswith("Quit the server"))
    after = [line.strip() for line in startup[quit_at + 1 :] if line.strip()]
    assert after[0] == "Seed data ready."
    assert after[-2].split()[:2] == ["ADMIN", "admin@huntaze.test"]
    assert after[-1].split()[:2] == ["CREATOR", "creator@huntaze.test"]
    assert any(
        line.startswith("API docs : " + f"http://127.0.0.1:{port}/api/docs") for line in after
    )
