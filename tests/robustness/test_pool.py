"""The gevent workers' database pool (``database_settings`` with ``DATABASE_POOL_MAX_SIZE``, the
``huntaze.postgresql`` backend): every connection is checked before a request gets it, and the
dead ones are skipped at once, so a worker whose every pooled connection PostgreSQL dropped (a
restart) serves its next request; a pool whose database comes back lends a connection within
about a second."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import quote

import psycopg
import pytest
from django.db import OperationalError, connection
from psycopg.conninfo import make_conninfo

from huntaze.postgresql.base import DatabaseWrapper
from huntaze.settings.base import database_settings
from tests.servers import database_url, free_port, server_params

pytestmark = pytest.mark.django_db


class _Forwarder:
    """A TCP forwarder from ``port`` to the test database's server: "the database is back".

    The server is reached as the suite reaches it: over TCP (``DATABASE_URL``), or through the
    Unix socket in its socket folder (the embedded server, which listens on no TCP port).
    """

    def __init__(self, port: int, server: dict) -> None:
        self.server_params = server
        self.listener = socket.create_server(("127.0.0.1", port))
        self.opened = time.monotonic()
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


def _worker_connection(url: str, monkeypatch, *, max_size: int) -> DatabaseWrapper:
    """A Django connection to ``url`` set up exactly as a gevent worker's: the settings' own
    ``database_settings`` with ``DATABASE_POOL_MAX_SIZE``. It takes the test connection's alias
    (Django's ``connection_created`` receivers look the connection up by alias, and the test
    allows only that one); its pool is its own (the test connection has none)."""
    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", str(max_size))
    db = database_settings(url)
    assert db["ENGINE"] == "huntaze.postgresql" and "pool" in db["OPTIONS"]
    assert connection.pool is None
    return DatabaseWrapper({**connection.settings_dict, **db}, alias=connection.alias)


def _terminate(pids: list[int]) -> None:
    params = {**server_params(), "dbname": connection.settings_dict["NAME"]}
    with psycopg.connect(make_conninfo(**params), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])
        for _ in range(50):  # gone from pg_stat_activity: their sockets are closed
            alive = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]
            ).fetchone()[0]
            if not alive:
                return
            time.sleep(0.05)


def _one_request(wrapper: DatabaseWrapper) -> int:
    """What a request does with its connection: take one from the pool, query, give it back.
    The backend pid that served it."""
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    finally:
        wrapper.close()


def test_a_worker_whose_every_connection_was_dropped_serves_its_next_request(monkeypatch):
    """After a restart every connection in the pool is dead. The next request still succeeds
    within the pool's 2 s timeout: each dead one fails its check and is skipped at once. (The
    pool's own check sleeps 1 s after a failed one before trying the next: with four dead
    connections the request ran out of its timeout, a 503 while PostgreSQL was serving.)"""
    wrapper = _worker_connection(database_url(), monkeypatch, max_size=4)
    try:
        pool = wrapper.pool
        pool.open(wait=True)
        lent = [pool.getconn(timeout=5) for _ in range(4)]  # a burst opened all four
        pids = [conn.info.backend_pid for conn in lent]
        for conn in lent:
            pool.putconn(conn)
        _terminate(pids)

        assert _one_request(wrapper) not in pids
        # The dead ones were replaced: the next requests are served too.
        assert {_one_request(wrapper) for _ in range(8)}.isdisjoint(pids)
    finally:
        wrapper.close_pool()


def test_every_lend_is_checked_even_right_after_the_last_one(monkeypatch):
    """A connection PostgreSQL dropped a moment after its last use is not lent either (the
    shortcut this replaces skipped the check for a connection lent within the last second)."""
    wrapper = _worker_connection(database_url(), monkeypatch, max_size=1)
    try:
        pid = _one_request(wrapper)
        _terminate([pid])
        assert _one_request(wrapper) != pid
    finally:
        wrapper.close_pool()


def test_a_pool_lends_within_a_second_of_the_database_coming_back(monkeypatch):
    """Requests keep arriving while the database is away (each a 503 after the pool's 2 s
    timeout); it comes back after 5 s and a request is served within 1.6 s. With psycopg_pool's
    default reconnection (a 5-minute ``reconnect_timeout``, attempts 1, 2, 4… s apart) the next
    attempt after 5 s came at about 7 s; ``database_settings`` gives up a failed attempt after
    2 s, and the next request that waits starts a new one at once."""
    port = free_port()
    params = server_params()
    auth = quote(params["user"], safe="")
    if params.get("password"):
        auth += ":" + quote(params["password"], safe="")
    url = f"postgres://{auth}@127.0.0.1:{port}/{connection.settings_dict['NAME']}"
    wrapper = _worker_connection(url, monkeypatch, max_size=4)
    forwarders: list[_Forwarder] = []
    back = threading.Timer(5, lambda: forwarders.append(_Forwarder(port, params)))
    try:
        back.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                _one_request(wrapper)
            except OperationalError:
                continue
            served = time.monotonic()
            break
        else:
            pytest.fail("no request served within 15 s of the database coming back")
        assert forwarders, "served while the database was away"
        assert served - forwarders[0].opened < 1.6, served - forwarders[0].opened
    finally:
        back.cancel()
        wrapper.close_pool()
        for forwarder in forwarders:
            forwarder.close()
