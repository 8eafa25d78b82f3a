"""The Procfile's gunicorn worker: gunicorn's gevent worker that accepts a connection only while
one of its request slots is free (docs/benchmark.md, Server model).

gunicorn's own gevent worker accepts whenever its event loop turns, however busy the worker is,
so under load one worker piles up requests while the other has room: measured, the saturated
mix's p95 was 1.7x the sync workers' (which only accept when idle). Here the listening socket
is left to the other worker (the kernel's backlog, as with sync workers) while every request
slot of this one is taken (``huntaze.db.RequestSlotMiddleware``: as many requests at once as the
worker has pooled connections). A request waiting on Azure OpenAI or Stripe has given its slot
back (``huntaze.db.connection_release``), so thousands of them never stop a worker accepting.

A reload (``SIGHUP``) starts new workers and stops the old ones at once, and a new worker takes
seconds to load the application (tens on a loaded machine): with gunicorn's own worker nobody
accepted meanwhile, and every request of that moment waited. Here an old worker stopped by a
reload goes on accepting until a worker spawned by that reload has loaded the application, then
stops as usual. The master and the workers say when through small files in
``HUNTAZE_HANDOFF_DIR`` (set by gunicorn.conf.py, whose hooks call the functions below):
``reload`` (when the master began a reload) and one ``ready-<pid>`` per serving worker (when the
master spawned it). A stop that is not a reload (SIGTERM: a deploy, a restart) closes
the listener at once.

Imported by the gunicorn master before the workers fork and monkey-patch: nothing here may
import Django, psycopg or huntaze.db at module level (they are imported in the worker, after
patching).
"""

from __future__ import annotations

import os
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


def _handoff_path(name: str) -> str | None:
    directory = os.environ.get("HUNTAZE_HANDOFF_DIR")
    return os.path.join(directory, name) if directory else None


def _handoff_write(name: str, value: float) -> None:
    path = _handoff_path(name)
    if path is not None:
        with open(path + ".tmp", "w") as file:
            file.write(repr(value))
        os.replace(path + ".tmp", path)


def _handoff_read(path: str) -> float | None:
    try:
        with open(path) as file:
            return float(file.read())
    except (OSError, ValueError):
        return None


def handoff_reload_begins() -> None:
    """gunicorn.conf.py ``on_reload`` (the master, before it spawns the new workers)."""
    _handoff_write("reload", time.time())


def handoff_worker_ready(worker) -> None:
    """gunicorn.conf.py ``post_worker_init`` (the application is loaded, accepting is next)."""
    _handoff_write(f"ready-{worker.pid}", getattr(worker, "spawned_at", 0.0))


def handoff_worker_gone(worker) -> None:
    """gunicorn.conf.py ``child_exit`` (the master, once a worker has exited)."""
    path = _handoff_path(f"ready-{worker.pid}")
    if path is not None and os.path.exists(path):
        os.remove(path)


def _spawned_since(moment: float) -> bool:
    """A worker spawned at or after ``moment`` is ready."""
    directory = os.environ.get("HUNTAZE_HANDOFF_DIR", "")
    for entry in os.scandir(directory):
        if entry.name.startswith("ready-") and not entry.name.endswith(".tmp"):
            spawned = _handoff_read(entry.path)
            if spawned is not None and spawned >= moment:
                return True
    return False


class GeventWorker(ggevent.GeventWorker):
    server_class = None  # gunicorn's StreamServer path (its own HTTP parser), as "gevent"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.spawned_at = time.time()  # in the master, as it makes this worker

    def _hand_over(self) -> None:
        """Stopped by a reload: go on serving until a worker spawned by that reload is ready."""
        path = _handoff_path("reload")
        reloaded = _handoff_read(path) if path is not None else None
        if reloaded is None or reloaded < self.spawned_at:
            return  # not a reload, or this worker is of the new generation
        # A new worker that does not load within ``timeout`` is killed and replaced by the master;
        # past twice that, or without the master, something else is wrong: stop anyway.
        deadline = time.time() + 2 * self.cfg.timeout
        while not _spawned_since(reloaded) and time.time() < deadline and os.getppid() == self.ppid:
            self.notify()
            gevent.sleep(0.1)

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

        self._hand_over()
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
