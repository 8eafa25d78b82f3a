"""The gevent workers' psycopg pool (huntaze/pool.py, huntaze/postgresql/): a connection lent
within the last second is lent again without a check, an idle one is checked (a connection
PostgreSQL dropped is replaced before a request gets it), and a pool whose database comes back
is serving again within about a second, not after psycopg_pool's doubling back-off."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import psycopg
import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from huntaze.pool import CHECK_SKIP_SECONDS, pool_connection_check
from huntaze.postgresql.base import DatabaseWrapper
from tests.servers import free_port, server_params


class _Forwarder:
    """A TCP forwarder from ``port`` to the test database's server: "the database is back".

    The server is reached as the suite reaches it: over TCP (``DATABASE_URL``), or through the
    Unix socket in its socket folder (the embedded server, which listens on no TCP port).
    """

    def __init__(self, port: int, server: dict) -> None:
        self.server_params = server
        self.listener = socket.create_server(("127.0.0.1", port))
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _upstream(self) -> socket.socket:
        host, port = self.server_params["host"], self.server_params["port"]
        if host.startswith("/"):
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(f"{host}/.s.PGSQL.{port}")
            return upstream
        return socket.create_connection((host or "127.0.0.1", port))

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = self._upstream()
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed = True
        self.listener.close()


def _conninfo(*, forwarder_port: int | None = None) -> str:
    """libpq keywords for the test database: on its own server, or through a forwarder on
    ``forwarder_port`` (loopback TCP)."""
    params = {**server_params(), "dbname": connection.settings_dict["NAME"], "connect_timeout": 2}
    if forwarder_port is not None:
        params.update(host="127.0.0.1", port=forwarder_port)
    return make_conninfo(**params)


def test_the_backend_gives_its_pool_the_lent_recently_check():
    settings_dict = {
        **connection.settings_dict,
        "ENGINE": "huntaze.postgresql",
        "CONN_MAX_AGE": 0,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "pool": {"min_size": 1, "max_size": 2}},
    }
    wrapper = DatabaseWrapper(settings_dict, alias="pool_check_test")
    try:
        assert wrapper.pool._check is pool_connection_check
    finally:
        wrapper.close_pool()


def _terminate(pid: int) -> None:
    with psycopg.connect(_conninfo(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.1)


def test_a_connection_lent_within_a_second_is_not_checked_and_an_idle_one_is():
    pool = ConnectionPool(
        _conninfo(), min_size=1, max_size=1, check=pool_connection_check, open=True
    )
    try:
        with pool.connection(timeout=5) as conn:
            pid = conn.info.backend_pid
        # Dropped right after its last use: lent again as it is (no round trip), so the
        # request using it fails (a 503 in the app), and the pool replaces it.
        _terminate(pid)
        with pytest.raises(psycopg.OperationalError), pool.connection(timeout=5) as conn:
            conn.execute("SELECT 1")
        with pool.connection(timeout=5) as conn:
            pid = conn.info.backend_pid
            assert conn.execute("SELECT 1").fetchone() == (1,)
        # Dropped and idle past the window: the check finds it and a fresh one is lent.
        _terminate(pid)
        time.sleep(CHECK_SKIP_SECONDS + 0.1)
        with pool.connection(timeout=5) as conn:
            assert conn.info.backend_pid != pid
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.close(timeout=1)


def test_a_pool_reconnects_within_a_second_of_the_database_coming_back():
    port = free_port()
    pool = ConnectionPool(_conninfo(forwarder_port=port), min_size=1, max_size=1, open=False)
    pool.open(wait=False)
    forwarder = None
    try:
        # Down for 3.5 s: the pool has failed at 0 s and retried. With the library's default
        # back-off its attempts come at about 1, 3 and 7 s, so it would still be waiting when
        # the database comes back at 3.5 s; at a steady 1 s pace it connects by about 4.6 s.
        time.sleep(3.5)
        forwarder = _Forwarder(port, server_params())
        back = time.monotonic()
        with pool.connection(timeout=2.0) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert time.monotonic() - back < 1.6
    finally:
        pool.close(timeout=1)
        if forwarder is not None:
            forwarder.close()
