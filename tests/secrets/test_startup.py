"""Start-up with SECRETS_BACKEND=aws and no DATABASE_URL: the database URL comes from the secret."""

from __future__ import annotations

import json
import os
import subprocess
from urllib.parse import urlsplit

import pytest

from tests.secrets.conftest import FAKE_AWS_ENV
from tests.servers import manage

TEST_DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
WEIRD_PASSWORD = "p@ss:w/rd%+ é?#&=secret-0042"

SHOW = """
import json, os
from django.conf import settings
from django.db import connection
db = settings.DATABASES["default"]
with connection.cursor() as cursor:
    cursor.execute("SELECT current_database()")
    name = cursor.fetchone()[0]
print("RESULT " + json.dumps({
    "current_database": name,
    "host": db["HOST"], "port": db["PORT"], "user": db["USER"], "name": db["NAME"],
    "password_matches": db["PASSWORD"] == os.environ.get("EXPECTED_PASSWORD", ""),
    "options": db["OPTIONS"],
}))
"""


def _run(aws, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "AWS_", "SECRETS_")) and k != "DATABASE_URL"
    }
    env.update(FAKE_AWS_ENV)
    env.update(
        SECRETS_BACKEND="aws",
        AWS_ENDPOINT_URL=aws.url,
        NO_PROXY="127.0.0.1,localhost",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="startup-test-" + "s" * 60,
        DJANGO_ALLOWED_HOSTS="api.huntaze.test",
    )
    env.update(extra)
    return manage(*args, env=env)


def _result(proc) -> dict:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def _log_lines(proc) -> list[dict]:
    lines = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.slow
def test_starts_from_a_database_url_key(aws):
    aws.put("huntaze/database", {"DATABASE_URL": TEST_DATABASE_URL})

    proc = _run(aws, "shell", "-c", SHOW)

    expected = urlsplit(TEST_DATABASE_URL)
    assert _result(proc)["current_database"] == expected.path.lstrip("/")
    audit = [line for line in _log_lines(proc) if line.get("event") == "secret_fetch"]
    assert [(a["secret_id"], a["outcome"]) for a in audit] == [("huntaze/database", "ok")]


@pytest.mark.slow
def test_starts_from_the_fields_of_an_aws_managed_database_secret(aws):
    url = urlsplit(TEST_DATABASE_URL)
    aws.put(
        "huntaze/db-rds",
        {
            "engine": "postgres",
            "host": url.hostname,
            "port": url.port or 5432,
            "username": url.username or "postgres",
            "password": WEIRD_PASSWORD,
            "dbname": url.path.lstrip("/"),
            "dbInstanceIdentifier": "huntaze-beta",
        },
    )

    proc = _run(
        aws,
        "shell",
        "-c",
        SHOW,
        SECRETS_DATABASE_ID="huntaze/db-rds",
        EXPECTED_PASSWORD=WEIRD_PASSWORD,
    )

    result = _result(proc)
    assert result["current_database"] == url.path.lstrip("/")
    assert result["host"] == url.hostname
    assert result["port"] == (url.port or 5432)
    assert result["password_matches"] is True  # percent-quoted, then unquoted intact
    assert WEIRD_PASSWORD not in proc.stderr
    for line in _log_lines(proc):
        assert WEIRD_PASSWORD not in json.dumps(line, ensure_ascii=False)


@pytest.mark.slow
def test_rds_secret_with_sslmode_reaches_psycopg(aws):
    url = urlsplit(TEST_DATABASE_URL)
    aws.put(
        "huntaze/database",
        {
            "host": url.hostname,
            "port": url.port or 5432,
            "username": url.username or "postgres",
            "password": "pw-0123456789",
            "dbname": url.path.lstrip("/"),
            "sslmode": "disable",
        },
    )
    assert _result(_run(aws, "shell", "-c", SHOW))["options"]["sslmode"] == "disable"


@pytest.mark.slow
def test_missing_database_secret_stops_start_up_with_a_clear_message(aws):
    proc = _run(aws, "check")

    assert proc.returncode != 0
    assert "(huntaze.E001)" in proc.stderr and "Traceback" not in proc.stderr
    assert "huntaze/database" in proc.stderr
    assert "ResourceNotFoundException" in proc.stderr
    assert "DATABASE_URL is not set" in proc.stderr


@pytest.mark.slow
def test_incomplete_database_secret_names_the_missing_fields_never_the_values(aws):
    aws.put("huntaze/database", {"username": "huntaze", "password": "Sup3r-S3cret-Passw0rd"})

    proc = _run(aws, "check")

    assert proc.returncode != 0
    assert "has no key DATABASE_URL (or host, dbname)" in proc.stderr
    assert "Sup3r-S3cret-Passw0rd" not in proc.stderr + proc.stdout


@pytest.mark.slow
def test_unreachable_aws_stops_start_up_when_there_is_no_database_url(aws):
    from tests.servers import free_port

    proc = _run(aws, "check", AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")

    assert proc.returncode != 0
    assert "EndpointConnectionError" in proc.stderr
    assert "DATABASE_URL is not set" in proc.stderr


@pytest.mark.slow
def test_database_url_in_the_environment_wins_without_calling_aws(aws):
    from tests.servers import free_port

    # AWS is unreachable, DATABASE_URL is set: start-up does not even try the secret.
    proc = _run(
        aws,
        "shell",
        "-c",
        SHOW,
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
        DATABASE_URL=TEST_DATABASE_URL,
    )
    assert _result(proc)["current_database"] == urlsplit(TEST_DATABASE_URL).path.lstrip("/")
    assert not [line for line in _log_lines(proc) if line.get("event") == "secret_fetch"]
