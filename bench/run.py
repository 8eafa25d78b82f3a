"""``make bench`` / ``python -m bench``: the whole benchmark, start to finish (docs/benchmark.md).

1. PostgreSQL: the server of ``DATABASE_URL``, or the embedded one (huntaze.devdb) when it is
   unset (stopped at exit if this process started it).
2. A fresh seed database ``<BENCH_DATABASE>_seed`` (drop + create), migrated and seeded
   (bench.seed); each server configuration then runs on a fresh copy of it,
   ``<BENCH_DATABASE>`` (``CREATE DATABASE … TEMPLATE``: identical data for every run).
3. The server exactly as the Procfile's ``web:`` line, production settings (DJANGO_DEBUG=false,
   a generated secret key, SECURE_SSL_REDIRECT on, TRUSTED_PROXY_COUNT=1), loopback, with
   ``DJANGO_SETTINGS_MODULE=bench.settings`` so the same server instance also serves the floor.
4. Phases on that one server: every client signs in once; then, each a warm-up + a measured
   window: the creator mix (saturated), the floor (``/bench/floor/<id>``: one-row DRF view through
   the product's middleware), the plain floor (``/bench/plain``: Django answering before the
   middleware, bench/middleware.py), each ``BENCH_ALONE`` endpoint alone, and the think-time
   scenario (the mix, ``BENCH_THINK_SECONDS`` between a creator's requests). Every row is
   reported as a ratio to both floors. A sampler counts the app's PostgreSQL connections
   (pg_stat_activity) every 100 ms throughout.
5. The table, then bench-results.json; everything started is stopped, also on Ctrl-C or error.

6. The slow-model scenario (bench/slow_model.py) on the same server: a local Azure stand-in that
   takes ``BENCH_MODEL_SECONDS`` per answer, the mix with and without creators generating.

``BENCH_SERVERS=gevent,sync,gthread,granian`` repeats 3-6 per server model and prints them side
by side (default ``gevent,sync``: the Procfile's line and the sync workers it replaced;
``gevent-stock`` is gunicorn's own gevent worker, the public alternative to ours).
``BENCH_REDIS=1`` runs each server model twice, the cache (rate limits) on the database and then
on a private ``redis-server`` (``REDIS_URL``), side by side as ``<model>`` and ``<model>+redis``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

from bench import slow_model
from bench.driver import ALONE_CAPABLE, ENDPOINTS, Driver, parse_mix, summarize
from bench.slow_model import env_float

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_MODELS = ("gevent", "gevent-stock", "sync", "gthread", "granian")


@dataclass
class Config:
    clients: int
    duration: float
    warmup: float
    floor_duration: float
    floor_warmup: float
    plain_duration: float
    plain_warmup: float
    alone: list[str]
    alone_duration: float
    alone_warmup: float
    think_seconds: float
    think_duration: float
    think_warmup: float
    creators: int
    assets: int
    invites: int
    mix_spec: str
    servers: list[str]
    workers: int
    threads: int
    database: str
    output: str
    think_ms: float
    refresh_min_interval: float
    keep_db: bool
    redis: bool

    @classmethod
    def from_env(cls) -> Config:
        duration = env_float("BENCH_DURATION", 60)
        warmup = env_float("BENCH_WARMUP", 10)
        servers = os.environ.get("BENCH_SERVERS", "gevent,sync").replace(" ", "")
        servers_list = list(SERVER_MODELS) if servers == "all" else servers.split(",")
        for s in servers_list:
            if s not in SERVER_MODELS:
                raise SystemExit(f"BENCH_SERVERS: unknown server {s!r} (one of {SERVER_MODELS})")
        floor_duration = env_float("BENCH_FLOOR_DURATION", min(duration, 20))
        floor_warmup = env_float("BENCH_FLOOR_WARMUP", min(warmup, 3))
        return cls(
            clients=int(os.environ.get("BENCH_CLIENTS", 50)),
            duration=duration,
            warmup=warmup,
            floor_duration=floor_duration,
            floor_warmup=floor_warmup,
            plain_duration=env_float("BENCH_PLAIN_DURATION", floor_duration),
            plain_warmup=env_float("BENCH_PLAIN_WARMUP", floor_warmup),
            alone=parse_alone(os.environ.get("BENCH_ALONE", "profile,content_detail")),
            alone_duration=env_float("BENCH_ALONE_DURATION", min(duration, 10)),
            alone_warmup=env_float("BENCH_ALONE_WARMUP", min(warmup, 2)),
            think_seconds=env_float("BENCH_THINK_SECONDS", 1),
            think_duration=env_float("BENCH_THINK_DURATION", min(duration, 20)),
            think_warmup=env_float("BENCH_THINK_WARMUP", min(warmup, 3)),
            creators=int(os.environ.get("BENCH_CREATORS", 50)),
            assets=int(os.environ.get("BENCH_ASSETS", 200)),
            invites=int(os.environ.get("BENCH_INVITES", 100)),
            mix_spec=os.environ.get("BENCH_MIX", "creator"),
            servers=servers_list,
            workers=int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)),
            threads=int(os.environ.get("BENCH_THREADS", 4)),
            database=os.environ.get("BENCH_DATABASE", "huntaze_bench_run"),
            output=os.environ.get("BENCH_OUTPUT", str(REPO / "bench-results.json")),
            think_ms=env_float("BENCH_THINK_MS", 0),
            refresh_min_interval=env_float("BENCH_REFRESH_INTERVAL", 2.0),
            keep_db=os.environ.get("BENCH_KEEP_DB", "") in ("1", "true", "yes"),
            redis=os.environ.get("BENCH_REDIS", "") in ("1", "true", "yes"),
        )


def parse_alone(spec: str) -> list[str]:
    """``BENCH_ALONE``: endpoints measured one at a time; ``all`` = every one that can be
    (``ALONE_CAPABLE``), empty or ``none`` = none."""
    spec = spec.replace(" ", "")
    if spec in ("", "none", "0"):
        return []
    if spec == "all":
        return list(ALONE_CAPABLE)
    names = spec.split(",")
    for name in names:
        if name not in ALONE_CAPABLE:
            raise SystemExit(f"BENCH_ALONE: {name!r} cannot run alone (one of {ALONE_CAPABLE})")
    return names


# --- PostgreSQL ------------------------------------------------------------------------------
def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def server_url() -> tuple[str, bool]:
    """A URL of the PostgreSQL server to use, and whether it is the embedded one."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url, False
    from huntaze import devdb

    # Starts the embedded server, or joins it if it runs; stopped at exit by the last user.
    return devdb.database_url(database="postgres"), True


def _admin_connect(url: str):
    import psycopg

    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


def recreate_database(url: str, name: str, *, template: str | None = None) -> None:
    from psycopg import errors, sql

    with _admin_connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        for attempt in range(50):  # the template's last session may still be closing
            try:
                conn.execute(stmt)
                return
            except errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.1)


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with contextlib.suppress(Exception), _admin_connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


class ConnectionSampler(threading.Thread):
    """Counts the sessions on the benchmark database every 100 ms (its own session excluded)."""

    def __init__(self, url: str, database: str, interval: float = 0.1):
        super().__init__(daemon=True, name="pg-sampler")
        self.url, self.database, self.interval = url, database, interval
        self.phase = "setup"
        self.peaks: dict[str, int] = {}
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        with _admin_connect(self.url) as conn:
            while not self._stop_event.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.database],
                ).fetchone()
                self.samples += 1
                self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), count)
                self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


# --- the web server --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def procfile_web_command() -> list[str]:
    """The Procfile's ``web:`` line, with ``gunicorn`` run from this interpreter."""
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            argv = shlex.split(line[4:])
            if argv[0] == "gunicorn":
                argv = [sys.executable, "-m", "gunicorn", *argv[1:]]
            return argv
    raise SystemExit("Procfile has no web: line")


def server_command(model: str, cfg: Config, port: int) -> list[str]:
    if model == "gevent":
        return procfile_web_command()  # exactly the production line (gunicorn.conf.py)
    # The others: the same line and config file; command-line settings override the file's
    # (gunicorn.conf.py sizes the database pool from the final worker class and count).
    if model == "gevent-stock":
        # gunicorn's own gevent worker: the public alternative to huntaze/gunicorn_worker.py's
        # copy of its run() (docs/performance-notes.md, Library internals).
        return [*procfile_web_command(), "--worker-class", "gevent"]
    if model == "sync":
        return [*procfile_web_command(), "--worker-class", "sync"]
    if model == "gthread":
        # worker_connections = threads: a worker accepts no more connections than it has
        # threads, so a request never queues behind a busy worker while another is idle.
        threads = str(cfg.threads)
        return [
            *procfile_web_command(),
            *("--worker-class", "gthread", "--threads", threads, "--worker-connections", threads),
        ]
    # granian: WSGI, one process per worker, a small fixed number of blocking threads
    # (its default of hundreds of threads was measured slow, docs/performance-notes.md).
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(cfg.workers),
        "--blocking-threads",
        str(min(cfg.threads, 2)),
        "--log-level",
        "warning",
        "huntaze.wsgi:application",
    ]


def production_env(database_url: str, port: int, workers: int, secret: str) -> dict[str, str]:
    """The production environment of the server (and of migrate/seed, so tokens match)."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "BENCH_", "HUNTAZE_", "WEB_CONCURRENCY"))
        and k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "SECURE_SSL_REDIRECT",
            "TRUSTED_PROXY_COUNT",
            "JWT_SIGNING_KEY",
        )
    }
    keep.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret,
        DJANGO_ALLOWED_HOSTS=HOST,
        TRUSTED_PROXY_COUNT="1",
        HOST=HOST,
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        PYTHONUNBUFFERED="1",
    )
    return keep


class Server:
    def __init__(self, model: str, cfg: Config, env: dict[str, str], port: int, log: Path):
        self.model, self.port, self.log_path = model, port, log
        self.argv = server_command(model, cfg, port)
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 - our own fixed command line
            self.argv,
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop it in order
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.model} exited during start-up:\n{self.log_tail()}")
            try:
                with urlopen(f"http://{HOST}:{self.port}/api/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.model} did not answer /api/health in 60 s:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        return ""

    def cpu_seconds(self) -> float | None:
        try:
            import psutil
        except ImportError:
            return None
        try:
            root = psutil.Process(self.proc.pid)
            total = 0.0
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
            return total
        except psutil.Error:
            return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


# --- one server model, all phases ------------------------------------------------------------
def run_server_model(
    model: str,
    cfg: Config,
    *,
    pg_url: str,
    seed_db: str,
    manifest: dict,
    password: str,
    secret: str,
    logs: Path,
    slow: slow_model.SlowModelConfig | None = None,
    model_standin: slow_model.ModelStandIn | None = None,
    redis_url: str | None = None,
) -> dict:
    """Every phase on one server; ``redis_url``: the cache on that Redis (``<model>+redis``)."""
    recreate_database(pg_url, cfg.database, template=seed_db)
    port = free_port()
    env = production_env(with_database(pg_url, cfg.database), port, cfg.workers, secret)
    label = model
    if redis_url:
        env["REDIS_URL"] = redis_url
        label = f"{model}+redis"
    if model_standin is not None:
        env.update(model_standin.server_env())
    sampler = ConnectionSampler(pg_url, cfg.database)
    sampler.start()
    server = None
    try:
        print(f"[bench] {label}: starting {' '.join(server_command(model, cfg, port)[1:])}")
        server = Server(label, cfg, env, port, logs / f"server-{label}.log")
        mix = parse_mix(cfg.mix_spec)
        driver = Driver(
            host=HOST,
            port=port,
            manifest=manifest,
            clients=cfg.clients,
            password=password,
            mix=mix,
            think_ms=cfg.think_ms,
            refresh_min_interval=cfg.refresh_min_interval,
        )
        result: dict = {
            "server": label,
            "cache": "redis" if redis_url else "database",
            "command": server.argv[1:],
            "server_pid": server.proc.pid,
            "workers": cfg.workers,
            "clients": cfg.clients,
            # [warm-up, measured] seconds of each phase
            "phase_seconds": {
                "mix": [cfg.warmup, cfg.duration],
                "floor": [cfg.floor_warmup, cfg.floor_duration],
                "plain": [cfg.plain_warmup, cfg.plain_duration],
                "alone": [cfg.alone_warmup, cfg.alone_duration],
                "think": [cfg.think_warmup, cfg.think_duration],
            },
        }
        if model in ("gthread", "granian"):
            result["threads"] = cfg.threads if model == "gthread" else min(cfg.threads, 2)

        async def measure(
            phase: str,
            label: str,
            *,
            warmup: float,
            duration: float,
            only: str | None = None,
            think: float | None = None,
        ) -> dict:
            """One phase on this server: warm-up (not counted) + measured window, with the
            driver's and the server's CPU over the window; the summary of what was measured."""
            print(f"[bench] {result['server']}: {label}, {warmup:g} s warm-up + {duration:g} s")
            sampler.phase = phase + "_warmup"
            opened = driver.connections_opened()
            warm = asyncio.create_task(asyncio.sleep(warmup))
            # With think time a request started in the window counts even if it ends after it:
            # a stall shows as a slow request, not as a missing one.
            run = asyncio.create_task(
                driver.run(
                    warmup=warmup, duration=duration, only=only, think=think, keep_late=bool(think)
                )
            )
            await warm
            sampler.phase = phase
            cpu0, srv0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
            seconds = await run
            wall = time.perf_counter() - t0
            cpu1, srv1 = time.process_time(), server.cpu_seconds()
            summary = summarize(driver.recorder, seconds, [only] if only else list(mix))
            if only:
                summary = summary["endpoints"][only]
            summary["driver_cpu_cores"] = round((cpu1 - cpu0) / wall, 2)
            if srv0 is not None and srv1 is not None:
                summary["server_cpu_cores"] = round((srv1 - srv0) / wall, 2)
            # TCP connections the clients opened in this phase, warm-up included.
            summary["connections_opened"] = driver.connections_opened() - opened
            driver.close()
            return summary

        async def phases() -> None:
            sampler.phase = "signin"
            result["signin"] = await driver.sign_in_all()
            result["mix"] = await measure(
                "mix", "creator mix, saturated", warmup=cfg.warmup, duration=cfg.duration
            )
            result["mix"]["weights"] = mix
            if cfg.floor_duration > 0:
                result["floor"] = await measure(
                    "floor",
                    "floor (DRF one-row view, product middleware)",
                    warmup=cfg.floor_warmup,
                    duration=cfg.floor_duration,
                    only="floor",
                )
            if cfg.plain_duration > 0:
                result["plain"] = await measure(
                    "plain",
                    "plain floor (Django, first middleware)",
                    warmup=cfg.plain_warmup,
                    duration=cfg.plain_duration,
                    only="plain",
                )
            if cfg.alone_duration > 0 and cfg.alone:
                result["alone"] = {}
                for name in cfg.alone:
                    result["alone"][name] = await measure(
                        "alone",
                        f"{' '.join(ENDPOINTS[name])} alone",
                        warmup=cfg.alone_warmup,
                        duration=cfg.alone_duration,
                        only=name,
                    )
            if cfg.think_duration > 0 and cfg.think_seconds > 0:
                think = await measure(
                    "think",
                    f"think time ({cfg.think_seconds:g} s between requests)",
                    warmup=cfg.think_warmup,
                    duration=cfg.think_duration,
                    think=cfg.think_seconds,
                )
                think.update(clients=cfg.clients, think_seconds=cfg.think_seconds)
                result["think_time"] = think

        async def phases_and_slow_model() -> None:
            await phases()
            if model_standin is not None and slow is not None:
                # The slow-model scenario (bench/slow_model.py), on the same server.
                print(f"[bench] {label}: slow model, 2 x ({slow.warmup:g} + {slow.duration:g} s)")
                result["slow_model"] = await slow_model.run(
                    host=HOST,
                    port=port,
                    manifest=manifest,
                    password=password,
                    sampler=sampler,
                    cfg=slow,
                )

        asyncio.run(phases_and_slow_model())
        sampler.phase = "done"
        time.sleep(0.25)
    finally:
        sampler.stop()
        if server is not None:
            server.stop()
    peaks = sampler.peaks

    def peak(phase: str) -> int:
        return max(peaks.get(phase, 0), peaks.get(phase + "_warmup", 0))

    result["pg_connections"] = {
        "peak": max(peaks.values(), default=0),
        "peak_mix": peak("mix"),
        "peak_floor": peak("floor"),
        "peak_plain": peak("plain"),
        "peak_alone": peak("alone"),
        "peak_think": peak("think"),
        "samples": sampler.samples,
    }
    add_ratios(result)
    result["targets"] = targets(result)
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def add_ratios(result: dict) -> None:
    """``x_plain`` / ``x_floor`` on every measured row: its req/s ÷ the plain floor's / the
    floor's req/s, same server, same run. For a row of the mix that is its share of the mix's
    throughput (the rows add up to the mix's ratio); for the mix, a floor or an endpoint alone it
    is the capacity ratio the targets are written in."""
    plain = (result.get("plain") or {}).get("rps")
    floor = (result.get("floor") or {}).get("rps")
    mix = result["mix"]
    rows = [*mix["endpoints"].values(), mix["overall"], *(result.get("alone") or {}).values()]
    rows += [result[k] for k in ("floor", "plain") if result.get(k)]
    for row in rows:
        row["x_plain"] = _ratio(row["rps"], plain)
        row["x_floor"] = _ratio(row["rps"], floor)
    alone = result.get("alone") or {}
    result["ratio_mix_to_floor"] = mix["overall"]["x_floor"]
    result["ratio_mix_to_plain"] = mix["overall"]["x_plain"]
    result["ratio_floor_to_plain"] = _ratio(floor, plain)
    result["ratio_profile_alone_to_plain"] = (alone.get("profile") or {}).get("x_plain")
    result["ratio_content_detail_alone_to_plain"] = (alone.get("content_detail") or {}).get(
        "x_plain"
    )


# The targets, printed in two lines: the cost of a request (capacity ratios to the plain floor,
# latency with think time, errors, connections), then latency and capacity under saturation.
COST_TARGETS = (
    "mix_at_least_15pct_of_plain",
    "profile_alone_at_least_12pct_of_plain",
    "think_time_p95_under_10ms",
    "zero_errors",
    "at_most_10_pg_connections",
)
SATURATION_TARGETS = (
    "every_endpoint_p95_under_500ms",
    "overall_p95_under_100ms",
    "mix_at_least_60pct_of_floor",
)


def _at_least(ratio: float | None, bar: float) -> bool | None:
    return None if ratio is None else ratio >= bar


def total_errors(result: dict) -> int:
    """Errors of every phase but the slow-model scenario's (it reports its own)."""
    phases = [result["signin"], result["mix"]["overall"], *(result.get("alone") or {}).values()]
    phases += [result[k] for k in ("floor", "plain") if result.get(k)]
    if result.get("think_time"):
        phases.append(result["think_time"]["overall"])
    return sum(p["errors"] for p in phases)


def targets(result: dict) -> dict:
    """Each target: True (met), False (missed) or None (its phase was skipped)."""
    mix = result["mix"]
    worst = max((e["p95_ms"] for e in mix["endpoints"].values() if e["requests"]), default=0.0)
    think = result.get("think_time")
    return {
        "mix_at_least_15pct_of_plain": _at_least(result["ratio_mix_to_plain"], 0.15),
        "profile_alone_at_least_12pct_of_plain": _at_least(
            result["ratio_profile_alone_to_plain"], 0.12
        ),
        "think_time_p95_under_10ms": None if not think else think["overall"]["p95_ms"] < 10,
        "zero_errors": total_errors(result) == 0,
        "at_most_10_pg_connections": result["pg_connections"]["peak"] <= 10,
        "every_endpoint_p95_under_500ms": worst < 500,
        "overall_p95_under_100ms": mix["overall"]["p95_ms"] < 100,
        "mix_at_least_60pct_of_floor": _at_least(result["ratio_mix_to_floor"], 0.6),
    }


# --- report ----------------------------------------------------------------------------------
def _errors_text(e: dict) -> str:
    if not e["errors"]:
        return "0"
    return f"{e['errors']} (" + ", ".join(f"{k} x{v}" for k, v in e["error_statuses"].items()) + ")"


def _x(value: float | None) -> str:
    return f"{value:>8.3f}" if value is not None else f"{'-':>8}"


def _yes(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "NO")


HEAD = (
    f"{'endpoint':<34} {'req':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    f" {'x plain':>8} {'x floor':>8}  errors"
)


def _line(label: str, e: dict) -> str:
    return (
        f"{label:<34} {e['requests']:>7} {e['rps']:>8.1f} {e['p50_ms']:>8.1f}"
        f" {e['p95_ms']:>8.1f} {e['p99_ms']:>8.1f} {_x(e.get('x_plain'))} {_x(e.get('x_floor'))}"
        f"  {_errors_text(e)}"
    )


def _secs(result: dict, phase: str) -> str:
    warmup, duration = result["phase_seconds"][phase]
    return f"{warmup:g} s warm-up + {duration:g} s"


def format_run(result: dict) -> str:
    m = result["mix"]
    rows = [
        f"== {result['server']}: {' '.join(result['command'])}",
        f"saturated: {result['clients']} clients back to back; mix {_secs(result, 'mix')},"
        f" floor {_secs(result, 'floor')}, plain {_secs(result, 'plain')}",
        "x plain, x floor: req/s ÷ the req/s of PLAIN (Django, before the middleware) and of FLOOR",
        "(one-row DRF view through the product's middleware), same server, same run; for a row of"
        " the mix,",
        "its share of the mix's req/s (the rows add up to OVERALL): what an endpoint costs by itself"
        " is under 'alone'",
        HEAD,
        "-" * len(HEAD),
    ]
    rows.append(_line("POST /api/auth/signin (once each)", result["signin"]))
    for e in m["endpoints"].values():
        rows.append(_line(e["path"], e))
    rows.append("-" * len(HEAD))
    rows.append(_line("OVERALL mix", m["overall"]))
    if result.get("floor"):
        rows.append(_line("FLOOR GET /bench/floor/{id}", result["floor"]))
    if result.get("plain"):
        rows.append(_line("PLAIN GET /bench/plain", result["plain"]))
    if result.get("alone"):
        rows += [
            "",
            f"alone: one endpoint at a time, {result['clients']} clients back to back,"
            f" {_secs(result, 'alone')} each (x plain: what the endpoint costs by itself)",
        ]
        rows += [_line(e["path"], e) for e in result["alone"].values()]
    think = result.get("think_time")
    if think:
        o = think["overall"]
        slowest = max(
            (e for e in think["endpoints"].values() if e["requests"]),
            key=lambda e: e["p95_ms"],
            default=None,
        )
        rows += [
            "",
            f"think time: {think['clients']} creators on the mix, {think['think_seconds']:g} s"
            f" between requests (0.5-1.5x), {_secs(result, 'think')}: what a creator waits",
            f"{'':<34} {'req':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
            f" {'max ms':>8}  errors",
            f"{'think time, all requests':<34} {o['requests']:>7} {o['rps']:>8.1f}"
            f" {o['p50_ms']:>8.1f} {o['p95_ms']:>8.1f} {o['p99_ms']:>8.1f} {o['max_ms']:>8.1f}"
            f"  {_errors_text(o)}",
        ]
        if slowest is not None:
            rows.append(f"slowest endpoint at p95: {slowest['path']} {slowest['p95_ms']:.1f} ms")
    pg = result["pg_connections"]
    rows += [
        "",
        f"ratios: mix {_x(result['ratio_mix_to_plain']).strip()} x plain (target >= 0.15),"
        f" {_x(result['ratio_mix_to_floor']).strip()} x floor;"
        f" profile alone {_x(result['ratio_profile_alone_to_plain']).strip()} x plain"
        " (target >= 0.12);"
        f" floor {_x(result['ratio_floor_to_plain']).strip()} x plain",
        f"peak PostgreSQL connections: {pg['peak']} (mix {pg['peak_mix']},"
        f" floor {pg['peak_floor']}, plain {pg['peak_plain']}, alone {pg['peak_alone']},"
        f" think time {pg['peak_think']}; {pg['samples']} samples every 100 ms)",
    ]
    cpu = []
    for label, phase in (
        ("mix", m),
        ("floor", result.get("floor")),
        ("plain", result.get("plain")),
        ("think time", think),
    ):
        if phase:
            cpu.append(
                f"{label} {phase['driver_cpu_cores']} / {phase.get('server_cpu_cores', '?')}"
            )
    rows.append(
        "CPU cores (driver / server): "
        + ", ".join(cpu)
        + f"; TCP connections opened during the mix: {m['connections_opened']}"
    )
    s = result["signin"]
    if s.get("fallback_tokens_used"):
        rows.append(
            f"note: sign-in failed for {s['fallback_tokens_used']} clients; they used a seeded token"
        )
    t = result["targets"]
    rows.append("targets (cost): " + ", ".join(f"{k}={_yes(t[k])}" for k in COST_TARGETS))
    rows.append(
        "targets (saturation): " + ", ".join(f"{k}={_yes(t[k])}" for k in SATURATION_TARGETS)
    )
    if result.get("slow_model"):
        rows += ["", slow_model.format_report(result["slow_model"])]
    return "\n".join(rows)


def format_side_by_side(runs: list[dict]) -> str:
    names = [r["server"] for r in runs]
    rows = ["== side by side (req/s | p95 ms)", f"{'':<34}" + "".join(f"{n:>20}" for n in names)]

    def cell(e: dict | None) -> str:
        return f"{e['rps']:>9.1f} | {e['p95_ms']:>7.1f}" if e else f"{'-':>19}"

    keys = [k for k in ENDPOINTS if any(k in r["mix"]["endpoints"] for r in runs)]
    for k in keys:
        rows.append(
            f"{' '.join(ENDPOINTS[k]):<34}"
            + "".join(f" {cell(r['mix']['endpoints'].get(k))}" for r in runs)
        )
    rows.append(f"{'OVERALL mix':<34}" + "".join(f" {cell(r['mix']['overall'])}" for r in runs))
    rows.append(f"{'FLOOR':<34}" + "".join(f" {cell(r.get('floor'))}" for r in runs))
    rows.append(f"{'PLAIN':<34}" + "".join(f" {cell(r.get('plain'))}" for r in runs))
    alone = [k for k in ENDPOINTS if any(k in (r.get("alone") or {}) for r in runs)]
    for k in alone:
        rows.append(
            f"{' '.join(ENDPOINTS[k]) + ' alone':<34}"
            + "".join(f" {cell((r.get('alone') or {}).get(k))}" for r in runs)
        )
    rows.append(
        f"{'think time':<34}"
        + "".join(f" {cell((r.get('think_time') or {}).get('overall'))}" for r in runs)
    )

    def ratio_row(label: str, key: str) -> str:
        return f"{label:<34}" + "".join(f"{_x(r.get(key)):>20}" for r in runs)

    rows.append(ratio_row("mix x plain", "ratio_mix_to_plain"))
    rows.append(ratio_row("mix x floor", "ratio_mix_to_floor"))
    rows.append(ratio_row("profile alone x plain", "ratio_profile_alone_to_plain"))
    rows.append(ratio_row("floor x plain", "ratio_floor_to_plain"))
    rows.append(
        f"{'peak PG connections':<34}" + "".join(f"{r['pg_connections']['peak']:>20}" for r in runs)
    )
    rows.append(f"{'errors (all phases)':<34}" + "".join(f"{total_errors(r):>20}" for r in runs))
    rows += slow_model.side_by_side_rows(runs)
    return "\n".join(rows)


# --- main ------------------------------------------------------------------------------------
def _sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _sigterm)
    # Ctrl-C stops the run cleanly, even when started with SIGINT ignored (e.g. in background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cfg = Config.from_env()
    parse_mix(cfg.mix_spec)  # fail early on a bad BENCH_MIX
    started = time.time()
    load_at_start = os.getloadavg()
    print(f"[bench] load average at start: {' '.join(f'{x:.2f}' for x in load_at_start)}")
    pg_url, embedded = server_url()
    seed_db = f"{cfg.database}_seed"
    password = secrets.token_urlsafe(18)
    secret = secrets.token_urlsafe(48)  # this run's DJANGO_SECRET_KEY (and JWT signing key)
    runs: list[dict] = []
    slow = slow_model.SlowModelConfig.from_env()
    model_standin = None
    redis = None
    with tempfile.TemporaryDirectory(prefix="huntaze-bench-") as tmp:
        logs = Path(tmp)
        try:
            model_standin = slow_model.start(slow)
            if cfg.redis:
                redis = start_redis()
            t = time.perf_counter()
            print(
                f"[bench] PostgreSQL: {'embedded (huntaze.devdb)' if embedded else 'DATABASE_URL'}"
            )
            recreate_database(pg_url, seed_db)
            seed_env = production_env(with_database(pg_url, seed_db), 0, cfg.workers, secret)
            seed_env.update(
                BENCH_PASSWORD=password,
                BENCH_CREATORS=str(cfg.creators),
                BENCH_ASSETS=str(cfg.assets),
                BENCH_INVITES=str(cfg.invites),
            )
            _run_step([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], seed_env)
            migrated = time.perf_counter() - t
            manifest_path = logs / "manifest.json"
            _run_step([sys.executable, "-m", "bench.seed", str(manifest_path)], seed_env)
            manifest = json.loads(manifest_path.read_text())
            print(
                f"[bench] fresh database migrated in {migrated:.1f} s, seeded"
                f" {cfg.creators} creators x {cfg.assets} assets + {cfg.invites} invites"
                f" ({manifest['password_hasher']}) in {time.perf_counter() - t - migrated:.1f} s"
            )
            caches = [None, redis] if redis is not None else [None]
            for model in cfg.servers:
                for cache in caches:
                    if cache is not None:
                        cache.client().flushall()  # our private server: a fresh cache per run
                    runs.append(
                        run_server_model(
                            model,
                            cfg,
                            pg_url=pg_url,
                            seed_db=seed_db,
                            manifest=manifest,
                            password=password,
                            secret=secret,
                            logs=logs,
                            slow=slow,
                            model_standin=model_standin,
                            redis_url=cache.url() if cache is not None else None,
                        )
                    )
                    print()
                    print(format_run(runs[-1]))
                    print()
        finally:
            if model_standin is not None:
                model_standin.stop()
            if redis is not None:
                redis.destroy()
            if not cfg.keep_db:
                drop_database(pg_url, cfg.database)
                drop_database(pg_url, seed_db)
    if len(runs) > 1:
        print(format_side_by_side(runs))
    config = asdict(cfg)
    config["mix"] = parse_mix(cfg.mix_spec)
    config["postgres"] = "embedded" if embedded else "DATABASE_URL"
    config["cpu_count"] = os.cpu_count()
    config["slow_model"] = asdict(slow)
    config["load_average_at_start"] = load_at_start
    report = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "config": config,
        "runs": runs,
        "summary": {
            r["server"]: {
                "mix_rps": r["mix"]["overall"]["rps"],
                "mix_p95_ms": r["mix"]["overall"]["p95_ms"],
                "floor_rps": (r.get("floor") or {}).get("rps"),
                "floor_p95_ms": (r.get("floor") or {}).get("p95_ms"),
                "ratio_mix_to_floor": r["ratio_mix_to_floor"],
                "peak_pg_connections": r["pg_connections"]["peak"],
                "plain_rps": (r.get("plain") or {}).get("rps"),
                "plain_p95_ms": (r.get("plain") or {}).get("p95_ms"),
                "ratio_mix_to_plain": r["ratio_mix_to_plain"],
                "ratio_floor_to_plain": r["ratio_floor_to_plain"],
                "alone_x_plain": {k: e["x_plain"] for k, e in (r.get("alone") or {}).items()},
                "ratio_profile_alone_to_plain": r["ratio_profile_alone_to_plain"],
                "think_time_ms": {
                    k: (r.get("think_time") or {}).get("overall", {}).get(k + "_ms")
                    for k in ("p50", "p95", "p99", "max")
                },
                "errors": total_errors(r),
                **slow_model.summary(r),
            }
            for r in runs
        },
    }
    Path(cfg.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"[bench] results written to {cfg.output}")
    return 0


def start_redis():
    """``BENCH_REDIS=1``: a private ``redis-server`` on loopback (tests/servers.py)."""
    import shutil

    from tests.servers import RedisServer

    if shutil.which("redis-server") is None:
        raise SystemExit(
            "[bench] BENCH_REDIS=1 needs redis-server (Debian: apt-get install redis-server)"
        )
    server = RedisServer().start()
    print(f"[bench] Redis: a private redis-server on port {server.port}")
    return server


def _run_step(argv: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(  # noqa: S603 - our own fixed command line
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise SystemExit(f"[bench] {' '.join(argv[1:])} failed:\n{proc.stdout}\n{proc.stderr}")
