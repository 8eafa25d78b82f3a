"""The Procfile's gunicorn worker: gunicorn's gevent worker that accepts a connection only while
one of its request slots is free (docs/benchmark.md, Server model).

gunicorn's own gevent worker accepts whenever its event loop turns, however busy the worker is,
so under load one worker piles up requests while the other has room: measured, the saturated
mix's p95 was 1.7x the sync workers' (which only accept when idle). Here the listening socket
is left to the other worker (the kernel's backlog, as with sync workers) while every request
slot of this one is taken (``huntaze.db.RequestSlotMiddleware``: as many requests at once as the
worker has pooled connections). A request waiting on Azure OpenAI or Stripe has given its slot
back (``huntaze.db.connection_release``), so thousands of them never stop a worker accepting.

Imported by the gunicorn master before the workers fork and monkey-patch: nothing here may
import Django, psycopg or huntaze.db at module level (they are imported in the worker, after
patching).
"""

from __future__ import annotations

import time

import gevent
from gevent.pool import Pool
from gevent.server import StreamServer
from gunicorn.workers import ggevent


class _SlotGatedPool(Pool):
    """The connections of a worker: full while it has no free request slot either."""

    def full(self) -> bool:
        from huntaze import db

        return super().full() or db.request_slots_exhausted()


class GeventWorker(ggevent.GeventWorker):
    server_class = None  # gunicorn's StreamServer path (its own HTTP parser), as "gevent"

    def run(self) -> None:
        from huntaze import db

        servers = []
        for s in self.sockets:
            s.setblocking(1)
            pool = _SlotGatedPool(self.worker_connections)
            server = StreamServer(
                s, handle=lambda client, addr, s=s: self.handle(s, client, addr), spawn=pool
            )
            if self.cfg.workers > 1:
                server.max_accept = 1
            server.start()
            # A slot given back (a request done, or one now waiting on the model) lets this
            # worker accept again.
            db.request_slots_on_free(server._start_accepting_if_started)
            servers.append(server)

        while self.alive:
            self.notify()
            gevent.sleep(1.0)

        # Graceful stop (gunicorn's own): no new connections, the current ones get up to
        # graceful_timeout (50 s, above a 45 s generation) to finish.
        try:
            for server in servers:
                server.close()
            started = time.time()
            while time.time() - started <= self.cfg.graceful_timeout:
                if all(server.pool.free_count() == server.pool.size for server in servers):
                    return
                self.notify()
                gevent.sleep(1.0)
            self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
            for server in servers:
                server.stop(timeout=1)
        except Exception:  # gunicorn's behaviour: a failing stop never fails the exit
            self.log.exception("error while stopping the worker")
