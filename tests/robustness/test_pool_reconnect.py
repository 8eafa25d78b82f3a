"""A pooled worker whose database comes back is serving again within about a second
(huntaze/db.py ``pool_reconnect_configure``), not after psycopg_pool's doubling back-off."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from django.conf import settings
from psycopg_pool import ConnectionPool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Forwarder:
    """A TCP forwarder from ``port`` to the test database's server: "the database is back"."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", port))
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
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
        self.server.close()


def test_a_pool_reconnects_within_a_second_of_the_database_coming_back():
    db = settings.DATABASES["default"]
    options = db.get("OPTIONS", {})
    host = db.get("HOST") or options.get("host") or "127.0.0.1"
    if host.startswith("/"):  # the embedded server's socket: the forwarder needs TCP
        host = "127.0.0.1"
    port = _free_port()
    conninfo = (
        f"host=127.0.0.1 port={port} dbname={db['NAME']} user={db.get('USER') or 'postgres'}"
        f" password={db.get('PASSWORD') or ''} connect_timeout=2"
    )
    pool = ConnectionPool(conninfo, min_size=1, max_size=1, open=False)
    pool.open(wait=False)
    forwarder = None
    try:
        # Down for 3.5 s: the pool has failed at 0 s and retried. With the library's default
        # back-off its attempts come at about 1, 3 and 7 s, so it would still be waiting when
        # the database comes back at 3.5 s; at a steady 1 s pace it connects by about 4.6 s.
        time.sleep(3.5)
        forwarder = _Forwarder(port, (host, int(db.get("PORT") or 5432)))
        back = time.monotonic()
        with pool.connection(timeout=2.0) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert time.monotonic() - back < 1.6
    finally:
        pool.close(timeout=1)
        if forwarder is not None:
            forwarder.close()
