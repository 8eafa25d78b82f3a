"""``make bench`` / ``python -m bench``: the whole benchmark, start to finish (docs/benchmark.md).

1. PostgreSQL: the server of ``DATABASE_URL``, or the embedded one (huntaze.devdb) when it is
   unset (stopped at exit if this process started it).
2. A fresh seed database ``<BENCH_DATABASE>_seed`` (drop + create), migrated and seeded
   (bench.seed); each server configuration then runs on a fresh copy of it,
   ``<BENCH_DATABASE>`` (``CREATE DATABASE … TEMPLATE``: identical data for every run).
3. The server exactly as the Procfile's ``web:`` line, production settings (DJANGO_DEBUG=false,
   a generated secret key, SECURE_SSL_REDIRECT on, TRUSTED_PROXY_COUNT=1), loopback, with
   ``DJANGO_SETTINGS_MODULE=bench.settings`` so the same server instance also serves the floor.
4. Phases on that one server: every client signs in once; warm-up + measured window of the
   creator mix; then warm-up + measured window of the floor. A sampler counts the app's
   PostgreSQL connections (pg_stat_activity) every 100 ms throughout.
5. The table, then bench-results.json; everything started is stopped, also on Ctrl-C or error.

``BENCH_SERVERS=sync,gthread,granian`` repeats 3-5 per server model and prints them side by side.
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

from bench.driver import ENDPOINTS, Driver, parse_mix, summarize

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_MODELS = ("sync", "gthread", "granian")


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass
class Config:
    clients: int
    duration: float
    warmup: float
    floor_duration: float
    floor_warmup: float
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

    @classmethod
    def from_env(cls) -> Config:
        duration = _env_float("BENCH_DURATION", 60)
        warmup = _env_float("BENCH_WARMUP", 10)
        servers = os.environ.get("BENCH_SERVERS", "sync").replace(" ", "")
        servers_list = list(SERVER_MODELS) if servers == "all" else servers.split(",")
        for s in servers_list:
            if s not in SERVER_MODELS:
                raise SystemExit(f"BENCH_SERVERS: unknown server {s!r} (one of {SERVER_MODELS})")
        return cls(
            clients=int(os.environ.get("BENCH_CLIENTS", 50)),
            duration=duration,
            warmup=warmup,
            floor_duration=_env_float("BENCH_FLOOR_DURATION", min(duration, 30)),
            floor_warmup=_env_float("BENCH_FLOOR_WARMUP", min(warmup, 5)),
            creators=int(os.environ.get("BENCH_CREATORS", 50)),
            assets=int(os.environ.get("BENCH_ASSETS", 200)),
            invites=int(os.environ.get("BENCH_INVITES", 100)),
            mix_spec=os.environ.get("BENCH_MIX", "creator"),
            servers=servers_list,
            workers=int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 2)),
            threads=int(os.environ.get("BENCH_THREADS", 4)),
            database=os.environ.get("BENCH_DATABASE", "huntaze_bench_run"),
            output=os.environ.get("BENCH_OUTPUT", str(REPO / "bench-results.json")),
            think_ms=_env_float("BENCH_THINK_MS", 0),
            refresh_min_interval=_env_float("BENCH_REFRESH_INTERVAL", 2.0),
            keep_db=os.environ.get("BENCH_KEEP_DB", "") in ("1", "true", "yes"),
        )


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
    if model == "sync":
        return procfile_web_command()  # exactly the production line (gunicorn.conf.py)
    if model == "gthread":
        # The same line and config file; command-line settings override the file's.
        return [*procfile_web_command(), "--worker-class", "gthread", "--threads", str(cfg.threads)]
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
) -> dict:
    recreate_database(pg_url, cfg.database, template=seed_db)
    port = free_port()
    env = production_env(with_database(pg_url, cfg.database), port, cfg.workers, secret)
    sampler = ConnectionSampler(pg_url, cfg.database)
    sampler.start()
    server = None
    try:
        print(f"[bench] {model}: starting {' '.join(server_command(model, cfg, port)[1:])}")
        server = Server(model, cfg, env, port, logs / f"server-{model}.log")
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
            "server": model,
            "command": server.argv[1:],
            "server_pid": server.proc.pid,
            "workers": cfg.workers,
        }
        if model != "sync":
            result["threads"] = cfg.threads if model == "gthread" else min(cfg.threads, 2)

        async def phases() -> None:
            sampler.phase = "signin"
            result["signin"] = await driver.sign_in_all()
            print(f"[bench] {model}: mix, {cfg.warmup:g} s warm-up + {cfg.duration:g} s")
            sampler.phase = "mix_warmup"
            warm = asyncio.create_task(asyncio.sleep(cfg.warmup))
            run = asyncio.create_task(driver.run(warmup=cfg.warmup, duration=cfg.duration))
            await warm
            sampler.phase = "mix"
            cpu0, srv0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
            seconds = await run
            wall = time.perf_counter() - t0
            cpu1, srv1 = time.process_time(), server.cpu_seconds()
            result["mix"] = summarize(driver.recorder, seconds, list(mix))
            result["mix"]["weights"] = mix
            result["mix"]["driver_cpu_cores"] = round((cpu1 - cpu0) / wall, 2)
            if srv0 is not None and srv1 is not None:
                result["mix"]["server_cpu_cores"] = round((srv1 - srv0) / wall, 2)
            result["mix"]["connections_opened"] = driver.connections_opened()
            driver.close()
            if cfg.floor_duration <= 0:
                return
            print(
                f"[bench] {model}: floor, {cfg.floor_warmup:g} s warm-up + {cfg.floor_duration:g} s"
            )
            sampler.phase = "floor_warmup"
            warm = asyncio.create_task(asyncio.sleep(cfg.floor_warmup))
            run = asyncio.create_task(
                driver.run(warmup=cfg.floor_warmup, duration=cfg.floor_duration, floor=True)
            )
            await warm
            sampler.phase = "floor"
            cpu0, srv0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
            seconds = await run
            wall = time.perf_counter() - t0
            cpu1, srv1 = time.process_time(), server.cpu_seconds()
            floor = summarize(driver.recorder, seconds, ["floor"])["endpoints"]["floor"]
            floor["driver_cpu_cores"] = round((cpu1 - cpu0) / wall, 2)
            if srv0 is not None and srv1 is not None:
                floor["server_cpu_cores"] = round((srv1 - srv0) / wall, 2)
            result["floor"] = floor
            driver.close()

        asyncio.run(phases())
        sampler.phase = "done"
        time.sleep(0.25)
    finally:
        sampler.stop()
        if server is not None:
            server.stop()
    peaks = sampler.peaks
    result["pg_connections"] = {
        "peak": max(peaks.values(), default=0),
        "peak_mix": max(peaks.get("mix", 0), peaks.get("mix_warmup", 0)),
        "peak_floor": max(peaks.get("floor", 0), peaks.get("floor_warmup", 0)),
        "samples": sampler.samples,
    }
    floor = result.get("floor")
    mix_rps = result["mix"]["overall"]["rps"]
    result["ratio_mix_to_floor"] = (
        round(mix_rps / floor["rps"], 3) if floor and floor["rps"] else None
    )
    result["targets"] = targets(result)
    return result


def targets(result: dict) -> dict:
    mix = result["mix"]
    worst = max((e["p95_ms"] for e in mix["endpoints"].values() if e["requests"]), default=0.0)
    ratio = result.get("ratio_mix_to_floor")
    return {
        "zero_errors": mix["overall"]["errors"] == 0 and result["signin"]["errors"] == 0,
        "every_endpoint_p95_under_500ms": worst < 500,
        "overall_p95_under_100ms": mix["overall"]["p95_ms"] < 100,
        "mix_at_least_60pct_of_floor": ratio is not None and ratio >= 0.6,
        "at_most_10_pg_connections": result["pg_connections"]["peak"] <= 10,
    }


# --- report ----------------------------------------------------------------------------------
def _errors_text(e: dict) -> str:
    if not e["errors"]:
        return "0"
    return f"{e['errors']} (" + ", ".join(f"{k} x{v}" for k, v in e["error_statuses"].items()) + ")"


def format_run(result: dict) -> str:
    rows = [f"== {result['server']}: {' '.join(result['command'])}"]
    head = f"{'endpoint':<34} {'req':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  errors"
    rows += [head, "-" * len(head)]

    def line(label: str, e: dict) -> str:
        return (
            f"{label:<34} {e['requests']:>7} {e['rps']:>8.1f} {e['p50_ms']:>8.1f}"
            f" {e['p95_ms']:>8.1f} {e['p99_ms']:>8.1f}  {_errors_text(e)}"
        )

    s = result["signin"]
    rows.append(line("POST /api/auth/signin (once each)", s))
    for e in result["mix"]["endpoints"].values():
        rows.append(line(e["path"], e))
    rows.append("-" * len(head))
    rows.append(line("OVERALL mix", result["mix"]["overall"]))
    if result.get("floor"):
        rows.append(line("FLOOR GET /bench/floor/{id}", result["floor"]))
    ratio = result.get("ratio_mix_to_floor")
    pg = result["pg_connections"]
    m = result["mix"]
    rows.append("")
    rows.append(
        f"mix / floor throughput: {ratio if ratio is not None else 'n/a'}"
        f"    peak PostgreSQL connections: {pg['peak']} (mix {pg['peak_mix']},"
        f" floor {pg['peak_floor']}; {pg['samples']} samples)"
    )
    cpu = f"driver CPU {m['driver_cpu_cores']} cores"
    if "server_cpu_cores" in m:
        cpu += f", server CPU {m['server_cpu_cores']} cores"
    rows.append(f"during the mix: {cpu}; {m['connections_opened']} TCP connections opened")
    if s.get("fallback_tokens_used"):
        rows.append(
            f"note: sign-in failed for {s['fallback_tokens_used']} clients; they used a seeded token"
        )
    rows.append(
        "targets: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in result["targets"].items())
    )
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
    rows.append(f"{'mix / floor':<34}" + "".join(f"{r['ratio_mix_to_floor']!s:>20}" for r in runs))
    rows.append(
        f"{'peak PG connections':<34}" + "".join(f"{r['pg_connections']['peak']:>20}" for r in runs)
    )
    rows.append(f"{'errors':<34}" + "".join(f"{r['mix']['overall']['errors']:>20}" for r in runs))
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
    pg_url, embedded = server_url()
    seed_db = f"{cfg.database}_seed"
    password = secrets.token_urlsafe(18)
    secret = secrets.token_urlsafe(48)  # this run's DJANGO_SECRET_KEY (and JWT signing key)
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="huntaze-bench-") as tmp:
        logs = Path(tmp)
        try:
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
            for model in cfg.servers:
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
                    )
                )
                print()
                print(format_run(runs[-1]))
                print()
        finally:
            if not cfg.keep_db:
                drop_database(pg_url, cfg.database)
                drop_database(pg_url, seed_db)
    if len(runs) > 1:
        print(format_side_by_side(runs))
    config = asdict(cfg)
    config["mix"] = parse_mix(cfg.mix_spec)
    config["postgres"] = "embedded" if embedded else "DATABASE_URL"
    config["cpu_count"] = os.cpu_count()
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
                "errors": r["mix"]["overall"]["errors"] + r["signin"]["errors"],
            }
            for r in runs
        },
    }
    Path(cfg.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"[bench] results written to {cfg.output}")
    return 0


def _run_step(argv: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(  # noqa: S603 - our own fixed command line
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise SystemExit(f"[bench] {' '.join(argv[1:])} failed:\n{proc.stdout}\n{proc.stderr}")
