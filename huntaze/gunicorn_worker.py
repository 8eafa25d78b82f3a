"""The Procfile's gunicorn worker: gunicorn's gevent worker that accepts a connection only while
one of its request slots is free (docs/benchmark.md, Server model).

gunicorn's own gevent worker accepts whenever its event loop turns, however busy the worker is,
so under load one worker piles up requests while the other has room (the saturated mix's p95
against the sync workers', which only accept when idle: docs/performance-notes.md). Here the
listening socket is left to the other worker (the kernel's backlog, as with sync workers) while
every request slot of this one is taken (``huntaze.db.RequestSlotMiddleware``: as many requests
at once as the worker has pooled connections). A request waiting on Azure OpenAI or Stripe has given its slot
back (``huntaze.db.connection_release``), so thousands of them never stop a worker accepting.

**A copy of gunicorn's code, fenced.** gunicorn builds each gevent server inside
``GeventWorker.run()`` with no hook for the spawn pool, so ``run()`` below is gunicorn's, line for
line (TLS and ``server_class`` branches included), with changes marked ``# huntaze:``: the
server's pool is ``_SlotGatedPool``, a freed slot calls gevent's public
``server.start_accepting()``, and a reload's old worker hands over before it stops (below). ``GUNICORN_RUN_SHA256`` is the hash of the gunicorn ``run()`` this
copies (``GUNICORN_VERSION``): importing this module (the gunicorn master does, before it forks a
worker) refuses to start when the installed gunicorn's differs, and
``tests/foundation/test_gunicorn_worker_copy.py`` fails (``make upgrade-check``). To upgrade:
diff gunicorn's new ``run()`` with this one, carry its changes over, update both constants.
The public alternative, gunicorn's stock worker (``--worker-class gevent``), is one of
``make bench``'s servers (``BENCH_SERVERS=gevent,gevent-stock``).

A reload (``SIGHUP``) starts new workers and stops the old ones at once, and a new worker takes
seconds to load the application (tens on a loaded machine): with gunicorn's own worker nobody
accepted meanwhile, and every request of that moment waited. Here an old worker stopped by a
reload goes on accepting until a worker spawned by that reload has loaded the application, then
stops as usual (``_hand_over``, one marked line in ``run()``). The master and the workers
say when through small files in ``HUNTAZE_HANDOFF_DIR`` (set by gunicorn.conf.py, whose hooks
call the functions below): ``reload`` (when the master began a reload) and one ``ready-<pid>``
per serving worker (when the master spawned it). A stop that is not a reload (SIGTERM: a
deploy, a restart) closes the listener at once.

Imported by the gunicorn master before the workers fork and monkey-patch: nothing here may
import Django, psycopg or huntaze.db at module level (they are imported in the worker, after
patching).
"""

from __future__ import annotations

import hashlib
import inspect
import os
import time
from functools import partial

import gevent
import gunicorn
from gevent.pool import Pool
from gevent.server import StreamServer
from gunicorn.http.wsgi import base_environ
from gunicorn.sock import ssl_context
from gunicorn.workers import ggevent

GUNICORN_VERSION = "27.0.1"
GUNICORN_RUN_SHA256 = "50119854ef8be38caa6e96a5978978de9c42bc0b24ac22228101399e7ef3005d"


def gunicorn_run_sha256() -> str:
    """The hash of the installed gunicorn's ``GeventWorker.run`` source."""
    return hashlib.sha256(inspect.getsource(ggevent.GeventWorker.run).encode()).hexdigest()


def gunicorn_run_check() -> None:
    """Refuse to start when gunicorn's ``run()`` is not the one copied here."""
    if gunicorn_run_sha256() != GUNICORN_RUN_SHA256:
        raise RuntimeError(
            f"huntaze/gunicorn_worker.py copies GeventWorker.run() of gunicorn {GUNICORN_VERSION}; "
            f"the installed gunicorn {gunicorn.__version__} has another: carry its changes over "
            "to the copy and update GUNICORN_RUN_SHA256 (see the module's docstring)"
        )


gunicorn_run_check()


class _SlotGatedPool(Pool):
    """The connections of a worker: full while it has no free request slot either."""

    def full(self) -> bool:
        from huntaze import db

        return super().full() or db.request_slots_exhausted()


def _accept_again(server: StreamServer) -> None:
    """A slot given back (a request done, or one now waiting on the model): accept again."""
    if server.started:
        server.start_accepting()


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

    def run(self):
        from huntaze import db  # huntaze: imported in the worker, after monkey-patching

        servers = []
        ssl_args = {}

        if self.cfg.is_ssl:
            ssl_args = {"ssl_context": ssl_context(self.cfg)}

        for s in self.sockets:
            s.setblocking(1)
            pool = _SlotGatedPool(self.worker_connections)  # huntaze: gunicorn's is a Pool
            if self.server_class is not None:
                environ = base_environ(self.cfg)
                environ.update({"wsgi.multithread": True, "SERVER_SOFTWARE": ggevent.VERSION})
                server = self.server_class(
                    s,
                    application=self.wsgi,
                    spawn=pool,
                    log=self.log,
                    handler_class=self.wsgi_handler,
                    environ=environ,
                    **ssl_args,
                )
            else:
                hfun = partial(self.handle, s)
                server = StreamServer(s, handle=hfun, spawn=pool, **ssl_args)
                if self.cfg.workers > 1:
                    server.max_accept = 1

            server.start()
            db.request_slots_on_free(partial(_accept_again, server))  # huntaze
            servers.append(server)

        while self.alive:
            self.notify()
            gevent.sleep(1.0)

        self._hand_over()  # huntaze: a reload's old worker serves until a new one is ready

        try:
            # Stop accepting requests
            for server in servers:
                server.close()

            # Handle current requests until graceful_timeout
            ts = time.time()
            while time.time() - ts <= self.cfg.graceful_timeout:
                accepting = 0
                for server in servers:
                    if server.pool.free_count() != server.pool.size:
                        accepting += 1

                # if no server is accepting a connection, we can exit
                if not accepting:
                    return

                self.notify()
                gevent.sleep(1.0)

            # Force kill all the active handlers
            self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
            for server in servers:
                server.stop(timeout=1)
        except Exception:  # noqa: S110 - gunicorn's: a failing stop never fails the exit
            pass
