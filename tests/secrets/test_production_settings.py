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
print("ENGINE " + db["ENGINE"])
try:
    connection.ensure_connection()
    print("CONNECTED")
except Exception as exc:
    print("FAILED " + str(exc).replace(chr(10), " "))
"""


def _shell(database_url: str, **extra: str) -> str:
    """CONNECT's output under production settings with ``database_url`` and ``extra`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY="prod-like-" + "k" * 64,
        DJANGO_ALLOWED_HOSTS="api.huntaze.test",
        **extra,
    )
    return manage("shell", "-c", CONNECT, env=env, check=True).stdout


def _with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


@pytest.mark.slow
def test_sslmode_in_the_url_reaches_psycopg():
    # The test server has no TLS: sslmode=require must make the connection fail, which proves
    # the option is handed to libpq rather than dropped.
    out = _shell(_with_query(TEST_DATABASE_URL, "sslmode=require"))
    assert (
        'OPTIONS {"sslmode": "require", "connect_timeout": 3, "server_side_binding": true, '
        '"prepare_threshold": 5}'
    ) in out
    assert "FAILED" in out and "SSL" in out

    out = _shell(_with_query(TEST_DATABASE_URL, "sslmode=disable"))
    assert "CONNECTED" in out


@pytest.mark.slow
def test_persistent_connections_with_health_checks():
    out = _shell(TEST_DATABASE_URL)
    assert "CONN [60, true]" in out
    assert '"connect_timeout": 3' in out


@pytest.mark.slow
def test_pooled_connections_when_gunicorn_sizes_the_pool():
    """gevent workers (gunicorn.conf.py sets DATABASE_POOL_MAX_SIZE): Django's psycopg pool,
    no persistent connections, a short wait for a connection, a failed connection attempt given
    up after 2 s, and the check on lend made by the huntaze.postgresql backend (the pool's own
    check, CONN_HEALTH_CHECKS, off: it sleeps after a failed check)."""
    env_out = _shell(TEST_DATABASE_URL, DATABASE_POOL_MAX_SIZE="4")
    assert "CONN [0, false]" in env_out and "ENGINE huntaze.postgresql" in env_out
    assert (
        '"pool": {"min_size": 1, "max_size": 4, "timeout": 2.0, "max_idle": 300, '
        '"reconnect_timeout": 2.0}'
    ) in env_out
    assert "CONNECTED" in env_out


@pytest.mark.slow
def test_prepared_statements_unless_turned_off():
    """Server-side binding with psycopg's prepared statements by default; off for a pooler that
    cannot keep them (DATABASE_PREPARED_STATEMENTS=false, docs/configuration.md)."""
    assert '"server_side_binding": true, "prepare_threshold": 5' in _shell(TEST_DATABASE_URL)
    out = _shell(TEST_DATABASE_URL, DATABASE_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in out and "prepare_threshold" not in out
    assert "CONNECTED" in out


def _gunicorn_config(monkeypatch, web_concurrency: str) -> dict:
    monkeypatch.setenv("WEB_CONCURRENCY", web_concurrency)
    # Recorded so that the value on_starting() puts in os.environ is undone after the test.
    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", "")
    monkeypatch.delenv("DATABASE_POOL_MAX_SIZE")
    return runpy.run_path(str(REPO / "gunicorn.conf.py"))


class _Cfg:
    def __init__(self, worker_class_str: str, workers: int) -> None:
        self.worker_class_str, self.workers = worker_class_str, workers


class _Server:
    def __init__(self, worker_class_str: str, workers: int) -> None:
        self.cfg = _Cfg(worker_class_str, workers)


@pytest.mark.parametrize(
    ("web_concurrency", "workers"), [("1", 1), ("2", 2), ("4", 4), ("6", 6), ("64", 6)]
)
def test_the_web_workers_hold_at_most_6_of_the_10_connections(
    monkeypatch, web_concurrency, workers
):
    """gevent workers, each with a pool of (10 - 2 - 2) // workers connections: with the 2 of
    the job worker (the Procfile's worker: line) and the 2 kept for the commands run beside them
    (release), an instance never holds more than 10."""
    config = _gunicorn_config(monkeypatch, web_concurrency)
    assert config["workers"] == workers
    assert config["worker_class"] == "huntaze.gunicorn_worker.GeventWorker"
    assert 0 < config["worker_connections"] <= 1000
    config["on_starting"](_Server("gevent", workers))
    pool = int(os.environ["DATABASE_POOL_MAX_SIZE"])
    reserved = config["RESERVED_FOR_COMMANDS"] + config["JOB_WORKER_CONNECTIONS"]
    assert pool >= 1 and workers * pool + reserved <= 10
    assert pool == {1: 6, 2: 3, 4: 1, 6: 1}[workers]


@pytest.mark.parametrize(
    ("worker_class", "expected"),
    [("sync", "0"), ("gthread", "3"), ("gunicorn.workers.ggevent.GeventWorker", "3")],
)
def test_the_pool_follows_the_final_worker_class(monkeypatch, worker_class, expected):
    """A command-line --worker-class (the benchmark's candidates) overrides the file's: sync
    workers keep one persistent connection each (no pool)."""
    config = _gunicorn_config(monkeypatch, "2")
    config["on_starting"](_Server(worker_class, 2))
    assert os.environ["DATABASE_POOL_MAX_SIZE"] == expected


def test_the_shutdown_lets_a_45_second_generation_finish(monkeypatch):
    config = _gunicorn_config(monkeypatch, "2")
    assert config["graceful_timeout"] > 45
    assert config["timeout"] > 45


@pytest.mark.slow
@pytest.mark.parametrize("command", [("migrate", "--noinput"), ("check",)])
def test_production_without_a_secret_key_or_database_stops_with_one_message(command):
    """The Procfile's release command and every checked command refuse to start, exit 1, with
    the settings' message and no traceback."""

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env["DJANGO_DEBUG"] = "false"
    proc = manage(*command, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "(huntaze.E001) DJANGO_SECRET_KEY is required" in proc.stderr
    assert "DATABASE_URL is not set" in proc.stderr
    assert "fields.E120" not in proc.stderr
