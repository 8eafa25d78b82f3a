"""Production hardening: database TLS from the URL, connection settings, 10 connections a box."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

from tests.servers import manage

REPO = Path(__file__).resolve().parents[2]
TEST_DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"

CONNECT = """
import json
from django.conf import settings
from django.db import connection
db = settings.DATABASES["default"]
print("OPTIONS " + json.dumps(db["OPTIONS"]))
print("CONN " + json.dumps([db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]]))
try:
    connection.ensure_connection()
    print("CONNECTED")
except Exception as exc:
    print("FAILED " + str(exc).replace(chr(10), " "))
"""


def _shell(database_url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY="prod-like-" + "k" * 64,
        DJANGO_ALLOWED_HOSTS="api.huntaze.test",
    )
    return manage("shell", "-c", CONNECT, env=env, check=True).stdout


def _with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


@pytest.mark.slow
def test_sslmode_in_the_url_reaches_psycopg():
    # The test server has no TLS: sslmode=require must make the connection fail, which proves
    # the option is handed to libpq rather than dropped.
    out = _shell(_with_query(TEST_DATABASE_URL, "sslmode=require"))
    assert 'OPTIONS {"sslmode": "require", "connect_timeout": 3}' in out
    assert "FAILED" in out and "SSL" in out

    out = _shell(_with_query(TEST_DATABASE_URL, "sslmode=disable"))
    assert "CONNECTED" in out


@pytest.mark.slow
def test_persistent_connections_with_health_checks():
    out = _shell(TEST_DATABASE_URL)
    assert "CONN [60, true]" in out
    assert '"connect_timeout": 3' in out


@pytest.mark.parametrize(
    ("web_concurrency", "workers"), [("1", 1), ("4", 4), ("10", 10), ("64", 10)]
)
def test_gunicorn_never_runs_more_than_10_workers(monkeypatch, web_concurrency, workers):
    # Sync workers hold one persistent connection each: workers == connections per instance.
    monkeypatch.setenv("WEB_CONCURRENCY", web_concurrency)
    config = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    assert config["workers"] == workers
    assert config["worker_class"] == "sync"
    assert config.get("threads", 1) == 1
