"""``make bench-scale`` / ``python -m bench.scale``: does a request's cost follow what it reads,
or the size of the tables? (docs/benchmark.md, Scale.)

1. A fresh database ``BENCH_SCALE_DATABASE`` (default ``huntaze_bench_scale``) on the server of
   ``DATABASE_URL`` (or the embedded one), migrated; 50 creators and a staff user (bench.seed,
   no assets), a staff session for the dashboard.
2. The Procfile's server (production settings, as ``make bench``); the first size, 10k assets,
   is made **through the API**: each of the 50 creators creates 200 assets (10 % of the titles
   say "Lumière").
3. For each size (``BENCH_SCALE_SIZES``, default ``10k,1m,5m``): measured on a freshly started
   server, each endpoint alone with ``BENCH_SCALE_CLIENTS`` clients (each a creator of the 50,
   signed in through the API), warm-up then a measured window: the list (``page_size=20``), the
   detail of one of the creator's assets, ``?q=lumiere`` (10 % of titles) and the profile; the
   staff dashboard ``/admin/beta/`` by one client in sequence (p50). At the largest size, one
   creator also owns ``BENCH_SCALE_OWNER_ASSETS`` (50,000) assets: their list, search and profile.
   Then the table and index sizes.
4. Between sizes the server is stopped and the next size loaded with SQL in the same shapes
   (5,000 more creators, rows interleaved across creators as they arrive in production, spread
   over 180 days): the content indexes are dropped and rebuilt around the load, and the triggers
   are off during it (``session_replication_role = replica``), so the counts they maintain are
   rebuilt after it (content/counts.py), then ``VACUUM ANALYZE``.
5. A table of each figure as a ratio to the 10k run, and ``bench-scale-results.json``.

It is a measurement, not a test: nothing fails on a figure. Environment: ``BENCH_SCALE_SIZES``
(e.g. ``10k,50k`` for a quick run), ``BENCH_SCALE_CLIENTS`` (20), ``BENCH_SCALE_DURATION`` (8 s),
``BENCH_SCALE_WARMUP`` (2 s), ``BENCH_SCALE_DASHBOARD_REQUESTS`` (20),
``BENCH_SCALE_OWNER_ASSETS`` (50000), ``BENCH_SCALE_SQL_CREATORS`` (5000),
``BENCH_SCALE_KEEP_DB=1`` (keep the database), ``BENCH_SCALE_OUTPUT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.driver import client_ip, percentile
from bench.httpclient import Connection, HttpError
from bench.run import (
    HOST,
    REPO,
    Server,
    _run_step,
    drop_database,
    free_port,
    production_env,
    recreate_database,
    server_url,
    with_database,
)
from bench.seed import CATEGORIES, TAGS, TYPES, WORDS
from bench.slow_model import env_float

API_CREATORS = 50
API_ASSETS = 200
SEARCH = "lumiere"  # in 10 % of the titles, as "Lumière"
ENDPOINTS = ("list", "detail", "search", "profile")
OWNER_ENDPOINTS = ("list", "search", "profile")


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise SystemExit(f"BENCH_SCALE_SIZES: cannot read {text!r} (e.g. 10k, 1m, 5m)")
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


@dataclass
class Config:
    sizes: list[int]
    clients: int = 20
    duration: float = 8.0
    warmup: float = 2.0
    dashboard_requests: int = 20
    owner_assets: int = 50_000
    sql_creators: int = 5_000
    database: str = "huntaze_bench_scale"
    output: str = str(REPO / "bench-scale-results.json")
    keep_db: bool = False

    @classmethod
    def from_env(cls) -> Config:
        sizes = [parse_size(s) for s in os.environ.get("BENCH_SCALE_SIZES", "10k,1m,5m").split(",")]
        base = API_CREATORS * API_ASSETS
        if sizes[0] != base or sorted(sizes) != sizes or len(set(sizes)) != len(sizes):
            raise SystemExit(
                f"BENCH_SCALE_SIZES: increasing sizes starting at {size_label(base)} "
                "(made through the API), e.g. 10k,1m,5m"
            )
        return cls(
            sizes=sizes,
            clients=int(os.environ.get("BENCH_SCALE_CLIENTS", 20)),
            duration=env_float("BENCH_SCALE_DURATION", 8),
            warmup=env_float("BENCH_SCALE_WARMUP", 2),
            dashboard_requests=int(os.environ.get("BENCH_SCALE_DASHBOARD_REQUESTS", 20)),
            owner_assets=int(os.environ.get("BENCH_SCALE_OWNER_ASSETS", 50_000)),
            sql_creators=int(os.environ.get("BENCH_SCALE_SQL_CREATORS", 5_000)),
            database=os.environ.get("BENCH_SCALE_DATABASE", "huntaze_bench_scale"),
            output=os.environ.get("BENCH_SCALE_OUTPUT", str(REPO / "bench-scale-results.json")),
            keep_db=os.environ.get("BENCH_SCALE_KEEP_DB", "") in ("1", "true", "yes"),
        )


# --- the data ----------------------------------------------------------------------------------
def api_asset(creator: int, k: int) -> dict:
    """The ``k``-th asset a creator makes through the API (bench.seed's shapes; every tenth
    title is about "Lumière")."""
    n = creator * API_ASSETS + k
    word = WORDS[n % len(WORDS)]
    tags = [TAGS[n % len(TAGS)], TAGS[(n * 7 + 3) % len(TAGS)]]
    title = f"Lumière {word} #{k}" if k % 10 == 0 else f"{word.capitalize()} {tags[0]} #{k}"
    return {
        "title": title,
        "content": f"A {word} about {tags[0]} and {tags[1]} for my fans. " * 3,
        "type": TYPES[n % len(TYPES)],
        "category": CATEGORIES[n % len(CATEGORIES)],
        "tags": tags,
        "metadata": {"source": "bench", "n": n} if k % 3 else {},
    }


def _sql_array(values) -> str:
    items = ", ".join("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{items}]"


# The same shapes as ``api_asset``, in SQL: ``c`` (id, n) is the creator, ``k`` the asset's rank.
_ROWS = f"""
SELECT gen_random_uuid(), c.id,
       CASE WHEN (c.n * 7 + k) %% 10 = 0 THEN 'Lumière ' || v.word || ' #' || k
            ELSE initcap(v.word) || ' ' || v.t1 || ' #' || k END,
       repeat('A ' || v.word || ' about ' || v.t1 || ' and ' || v.t2 || ' for my fans. ', 3),
       ({_sql_array(TYPES)})[1 + (c.n + k) %% {len(TYPES)}],
       ({_sql_array(CATEGORIES)})[1 + (c.n + k) %% {len(CATEGORIES)}],
       ARRAY[v.t1, v.t2]::varchar[],
       CASE WHEN k %% 3 = 0 THEN '{{{{}}}}'::jsonb
            ELSE jsonb_build_object('source', 'bench', 'n', k) END,
       v.at, v.at
FROM generate_series(%(first)s::int, %(last)s::int) AS k
CROSS JOIN {{creators}} AS c
CROSS JOIN LATERAL (
    SELECT ({_sql_array(WORDS)})[1 + (c.n + k) %% {len(WORDS)}] AS word,
           ({_sql_array(TAGS)})[1 + (c.n + k) %% {len(TAGS)}] AS t1,
           ({_sql_array(TAGS)})[1 + ((c.n + k) * 7 + 3) %% {len(TAGS)}] AS t2,
           now() - random() * interval '180 days' AS at
) AS v
ORDER BY k
"""  # noqa: S608 - constants of this module only; the values are parameters
_INSERT = (
    "INSERT INTO content_assets (id, user_id, title, content, type, category, tags, metadata,"
    " created_at, updated_at) "
)


def load(
    conn,
    *,
    dsn: str,
    target: int,
    owner_id: str | None,
    owner_assets: int,
    sql_creators: int,
) -> dict:
    """Grow ``content_assets`` to ``target`` rows with SQL (``conn``: autocommit psycopg).

    The rows go to ``sql_creators`` creators made here (same password hash as the API ones, who
    never sign in) and, when ``owner_id`` is given, ``owner_assets`` minus what they have to
    that creator. Indexes of the table are dropped first and rebuilt after (what a bulk load
    does; the same definitions), triggers are off (``replica``) and the counts they maintain
    are rebuilt from the table."""
    from content.counts import REBUILD_STATEMENTS

    timings: dict[str, float] = {}
    t = time.perf_counter()
    (current,) = conn.execute("SELECT count(*) FROM content_assets").fetchone()
    owner_rows = owned = 0
    if owner_id:
        (owned,) = conn.execute(
            "SELECT count(*) FROM content_assets WHERE user_id = %s", [owner_id]
        ).fetchone()
        owner_rows = max(0, owner_assets - owned)
    missing = target - current
    if missing <= 0:
        return timings
    owner_rows = min(owner_rows, missing // 2)
    conn.execute(
        "INSERT INTO users (id, password, email, name, subscription, role, is_active,"
        " password_changed_at, created_at, updated_at)"
        " SELECT gen_random_uuid(), (SELECT password FROM users WHERE role = 'CREATOR' LIMIT 1),"
        " 'scale' || i || '@bench.huntaze.test', 'Scale creator ' || i,"
        " CASE WHEN i %% 5 = 0 THEN 'PRO' ELSE 'FREE' END, 'CREATOR', true,"
        " now() - interval '200 days', now() - make_interval(days => 180 + i %% 90), now()"
        " FROM generate_series(1, %s) AS i"
        " WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = 'scale1@bench.huntaze.test')",
        [sql_creators],
    )
    conn.execute("DROP TABLE IF EXISTS scale_creators")
    conn.execute(
        "CREATE TEMP TABLE scale_creators AS SELECT id, row_number() OVER (ORDER BY email)::int"
        " AS n FROM users WHERE email LIKE 'scale%%@bench.huntaze.test'"
    )
    (first_k,) = conn.execute(
        "SELECT coalesce(max(n), 0) + 1 FROM (SELECT count(*) AS n FROM content_assets a"
        " JOIN scale_creators c ON c.id = a.user_id GROUP BY a.user_id) t"
    ).fetchone()
    (creators,) = conn.execute("SELECT count(*) FROM scale_creators").fetchone()
    per_creator = (missing - owner_rows) // creators
    if owner_id:  # the owner takes the remainder: exactly ``target`` rows
        owner_rows = missing - per_creator * creators
    indexes = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'content_assets'"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    ).fetchall()
    for name, _definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    timings["setup_s"] = time.perf_counter() - t

    t = time.perf_counter()
    conn.execute("SET session_replication_role = replica")  # no FK checks, no count triggers
    try:
        step = max(1, 250_000 // creators)
        last_k = first_k + per_creator - 1
        owner_first, owner_done = owned, 0
        owner = _ROWS.format(creators=f"(SELECT '{owner_id}'::uuid AS id, 0 AS n)")
        for k in range(first_k, last_k + 1, step):
            upto = min(k + step - 1, last_k)
            conn.execute(
                _INSERT + _ROWS.format(creators="scale_creators"), {"first": k, "last": upto}
            )
            # The owner's rows arrive among everyone's, in proportion.
            share = owner_rows * (upto - first_k + 1) // per_creator - owner_done
            if owner_id and share > 0:
                first = owner_first + owner_done
                conn.execute(_INSERT + owner, {"first": first, "last": first + share - 1})
                owner_done += share
        if owner_id and owner_done < owner_rows:
            first = owner_first + owner_done
            conn.execute(_INSERT + owner, {"first": first, "last": owner_first + owner_rows - 1})
    finally:
        conn.execute("SET session_replication_role = DEFAULT")
    timings["insert_s"] = time.perf_counter() - t

    t = time.perf_counter()
    build_indexes(dsn, [definition for _name, definition in indexes])
    timings["indexes_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with conn.transaction():
        for statement in REBUILD_STATEMENTS:
            conn.execute(statement)
    conn.execute("VACUUM ANALYZE")
    timings["counts_vacuum_s"] = time.perf_counter() - t
    return timings


def build_indexes(dsn: str, definitions: list[str], workers: int = 2) -> None:
    """Run the ``CREATE INDEX`` statements on ``workers`` connections at once, largest first
    (a GIN build uses one core: two builds use the machine's two)."""
    import psycopg

    order = sorted(definitions, key=lambda d: ("gin" not in d, "content" not in d))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("SET maintenance_work_mem = '512MB'")
                while True:
                    with lock:
                        if not order:
                            return
                        definition = order.pop(0)
                    conn.execute(definition)
        except BaseException as exc:  # reported below
            errors.append(exc)

    lock = threading.Lock()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def sizes_of(conn) -> dict:
    """The content table, its indexes, and the database, in bytes."""
    rows = conn.execute(
        "SELECT c.relname, pg_relation_size(c.oid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = 'content_assets'::regclass ORDER BY 2 DESC"
    ).fetchall()
    (heap, total, database) = conn.execute(
        "SELECT pg_table_size('content_assets'), pg_total_relation_size('content_assets'),"
        " pg_database_size(current_database())"
    ).fetchone()
    return {
        "content_table": heap,
        "content_indexes": dict(rows),
        "content_total": total,
        "database": database,
    }


# --- the clients -------------------------------------------------------------------------------
@dataclass
class Creator:
    index: int
    id: str
    email: str
    access: str = ""
    asset_ids: list[str] = field(default_factory=list)


def _conn(port: int, i: int) -> Connection:
    return Connection(
        HOST, port, extra_headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": client_ip(i)}
    )


async def sign_in(port: int, creators: list[Creator], password: str) -> None:
    async def one(creator: Creator) -> None:
        conn = _conn(port, 1000 + creator.index)
        try:
            status, body = await conn.request(
                "POST", "/api/auth/signin", body={"email": creator.email, "password": password}
            )
        finally:
            conn.close()
        if status != 200:
            raise SystemExit(f"[bench-scale] sign-in of {creator.email}: {status} {body[:200]!r}")
        creator.access = json.loads(body)["access"]

    await asyncio.gather(*(one(c) for c in creators))


async def create_through_api(port: int, creators: list[Creator]) -> float:
    """Each creator makes its ``API_ASSETS`` assets, the creators in parallel."""
    started = time.perf_counter()

    async def one(creator: Creator) -> None:
        conn = _conn(port, creator.index)
        try:
            for k in range(API_ASSETS):
                status, body = await conn.request(
                    "POST",
                    "/api/content",
                    token=creator.access,
                    body=api_asset(creator.index, k),
                )
                if status != 201:
                    raise SystemExit(f"[bench-scale] POST /api/content: {status} {body[:300]!r}")
                creator.asset_ids.append(json.loads(body)["id"])
        finally:
            conn.close()

    await asyncio.gather(*(one(c) for c in creators))
    return time.perf_counter() - started


def _path(name: str, creator: Creator, rng: random.Random) -> str:
    if name == "list":
        return "/api/content?page_size=20"
    if name == "detail":
        return f"/api/content/{rng.choice(creator.asset_ids)}"
    if name == "search":
        return f"/api/content?q={SEARCH}"
    return "/api/users/profile"


async def measure(
    port: int, name: str, creators: list[Creator], *, clients: int, warmup: float, duration: float
) -> dict:
    """``name`` alone: ``clients`` closed-loop clients (client i is creator i mod len), only the
    requests that start and end inside the measured window are counted."""
    rng = random.Random(7)  # noqa: S311 - load pattern, not security
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + warmup
    end = start + duration

    async def client(i: int) -> None:
        nonlocal errors
        creator = creators[i % len(creators)]
        conn = _conn(port, i)
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= end:
                    return
                try:
                    status, _ = await conn.request(
                        "GET", _path(name, creator, rng), token=creator.access
                    )
                except HttpError:
                    status = "conn_error"
                t1 = time.perf_counter()
                if t0 >= start and t1 <= end:
                    if status == 200:
                        latencies.append(t1 - t0)
                    else:
                        errors += 1
        finally:
            conn.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    latencies.sort()
    return {
        "rps": round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "requests": len(latencies),
        "errors": errors,
    }


async def measure_dashboard(port: int, session_cookie: str, requests: int) -> dict:
    """The staff dashboard, one request at a time (what one member of staff waits)."""
    conn = Connection(
        HOST,
        port,
        extra_headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": client_ip(999),
            "Cookie": session_cookie,
        },
    )
    latencies, errors = [], 0
    try:
        for i in range(requests + 2):
            t0 = time.perf_counter()
            try:
                status, _ = await conn.request("GET", "/admin/beta/")
            except HttpError:
                status = "conn_error"
            if i >= 2:  # two warm-up requests
                if status == 200:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1
    finally:
        conn.close()
    latencies.sort()
    return {
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "requests": len(latencies),
        "errors": errors,
    }


# --- the report ----------------------------------------------------------------------------------
def _ratio(value, base) -> str:
    if not value or not base:
        return "-"
    return f"{value / base:.2f}x"


def format_report(results: list[dict]) -> str:
    base = results[0]
    labels = [r["label"] for r in results]
    lines = [
        "[bench-scale] each cell: rps, p50/p95 ms; ratio of rps to the first size in brackets",
        f"{'':32}" + "".join(f"{label:>30}" for label in labels),
    ]

    def row(title: str, get) -> None:
        cells = []
        for r in results:
            e, b = get(r), get(base)
            if not e:
                cells.append(f"{'-':>30}")
                continue
            ratio = _ratio(e["rps"], b and b["rps"])
            text = f"{e['rps']:.0f} rps {e['p50_ms']:.1f}/{e['p95_ms']:.1f} ({ratio})"
            if e.get("errors"):
                text += f" {e['errors']} err"
            cells.append(f"{text:>30}")
        lines.append(f"{title:32}" + "".join(cells))

    names = {
        "list": "GET /api/content?page_size=20",
        "detail": "GET /api/content/{id}",
        "search": f"GET /api/content?q={SEARCH}",
        "profile": "GET /api/users/profile",
    }
    for name in ENDPOINTS:
        row(names[name], lambda r, n=name: r["endpoints"].get(n))
    cells = []
    for r in results:
        d, b = r["dashboard"], base["dashboard"]
        text = f"p50 {d['p50_ms']:.1f} ms ({_ratio(d['p50_ms'], b['p50_ms'])})"
        if d.get("errors"):
            text += f" {d['errors']} err"
        cells.append(f"{text:>30}")
    lines.append(f"{'staff /admin/beta/':32}" + "".join(cells))
    for r in results:
        if r.get("owner"):
            owned = r["owner"]["assets"]
            lines.append("")
            lines.append(
                f"[bench-scale] at {r['label']}: one creator with {owned:,} assets, ratio to a"
                " small creator's in the same run"
            )
            for name in OWNER_ENDPOINTS:
                e, small = r["owner"]["endpoints"][name], r["endpoints"][name]
                lines.append(
                    f"  {names[name]:30} {e['rps']:.0f} rps p50 {e['p50_ms']:.1f} ms"
                    f" p95 {e['p95_ms']:.1f} ms ({_ratio(e['rps'], small['rps'])})"
                )
    lines.append("")
    lines.append("[bench-scale] sizes (MB): content table, its indexes, the database")
    for r in results:
        s = r["sizes"]
        top = ", ".join(
            f"{name} {size / 2**20:.0f}" for name, size in list(s["content_indexes"].items())[:6]
        )
        lines.append(
            f"  {r['label']:>5}: table {s['content_table'] / 2**20:.0f}, indexes"
            f" {sum(s['content_indexes'].values()) / 2**20:.0f} ({top}),"
            f" database {s['database'] / 2**20:.0f}"
        )
    return "\n".join(lines)


# --- the run -----------------------------------------------------------------------------------
def _seed_step() -> int:
    """``python -m bench.scale seed MANIFEST``, in the server's environment: 50 creators and a
    staff user (bench.seed, no assets) with two-factor on, and a staff session for the
    dashboard."""
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import User
    from bench.seed import seed

    manifest = seed(
        creators=API_CREATORS,
        assets_per_creator=0,
        invites=0,
        password=os.environ["BENCH_PASSWORD"],
    )
    admin = User.objects.get(email="admin@bench.huntaze.test")
    if getattr(settings, "STAFF_MFA_REQUIRED", False):
        # Staff must have two-factor on to open the admin (accounts/middleware.py): turn it on
        # through the services, as the set-up page does (the bench session is signed in).
        from tests.totp import enable_totp

        enable_totp(admin)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session.create()
    manifest["staff_cookie"] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    with open(sys.argv[2], "w") as fh:
        json.dump(manifest, fh)
    return 0


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "seed":
        return _seed_step()
    signal.signal(signal.SIGTERM, _sigterm)
    cfg = Config.from_env()
    started = time.time()
    print(f"[bench-scale] load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"[bench-scale] sizes: {', '.join(size_label(s) for s in cfg.sizes)}")
    pg_url, embedded = server_url()
    db_url = with_database(pg_url, cfg.database)
    password = secrets.token_urlsafe(18)
    secret = secrets.token_urlsafe(48)
    results: list[dict] = []
    server = None
    import psycopg

    with tempfile.TemporaryDirectory(prefix="huntaze-bench-scale-") as tmp:
        logs = Path(tmp)
        try:
            recreate_database(pg_url, cfg.database)
            port = free_port()
            env = production_env(db_url, port, os.cpu_count() or 2, secret)
            env["BENCH_PASSWORD"] = password
            t = time.perf_counter()
            _run_step([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env)
            manifest_path = logs / "manifest.json"
            _run_step([sys.executable, "-m", "bench.scale", "seed", str(manifest_path)], env)
            manifest = json.loads(manifest_path.read_text())
            creators = [
                Creator(index=i, id=c["id"], email=c["email"])
                for i, c in enumerate(manifest["creators"])
            ]
            print(f"[bench-scale] database migrated and seeded in {time.perf_counter() - t:.1f} s")
            owner = creators[0]
            with psycopg.connect(db_url, autocommit=True) as conn:
                for number, size in enumerate(cfg.sizes):
                    label = size_label(size)
                    timings: dict = {}
                    if number:
                        t = time.perf_counter()
                        largest = size == cfg.sizes[-1]
                        timings = load(
                            conn,
                            dsn=db_url,
                            target=size,
                            owner_id=owner.id if largest else None,
                            owner_assets=cfg.owner_assets,
                            sql_creators=cfg.sql_creators,
                        )
                        print(
                            f"[bench-scale] {label}: loaded in {time.perf_counter() - t:.0f} s"
                            f" ({', '.join(f'{k} {v:.0f}' for k, v in timings.items())})"
                        )
                    port = free_port()
                    env = production_env(db_url, port, os.cpu_count() or 2, secret)
                    server = Server("gevent", None, env, port, logs / f"server-{label}.log")
                    asyncio.run(sign_in(port, creators, password))
                    if number == 0:
                        took = asyncio.run(create_through_api(port, creators))
                        print(
                            f"[bench-scale] {label}: {API_CREATORS} x {API_ASSETS} assets"
                            f" created through the API in {took:.0f} s"
                        )
                        conn.execute("VACUUM ANALYZE")
                    (count,) = conn.execute("SELECT count(*) FROM content_assets").fetchone()
                    result = {"label": label, "assets": count, "load": timings, "endpoints": {}}
                    for name in ENDPOINTS:
                        result["endpoints"][name] = asyncio.run(
                            measure(
                                port,
                                name,
                                creators,
                                clients=cfg.clients,
                                warmup=cfg.warmup,
                                duration=cfg.duration,
                            )
                        )
                    result["dashboard"] = asyncio.run(
                        measure_dashboard(port, manifest["staff_cookie"], cfg.dashboard_requests)
                    )
                    if number and size == cfg.sizes[-1]:
                        (owned,) = conn.execute(
                            "SELECT count(*) FROM content_assets WHERE user_id = %s", [owner.id]
                        ).fetchone()
                        result["owner"] = {"assets": owned, "endpoints": {}}
                        for name in OWNER_ENDPOINTS:
                            result["owner"]["endpoints"][name] = asyncio.run(
                                measure(
                                    port,
                                    name,
                                    [owner],
                                    clients=cfg.clients,
                                    warmup=cfg.warmup,
                                    duration=cfg.duration,
                                )
                            )
                    server.stop()
                    server = None
                    result["sizes"] = sizes_of(conn)
                    results.append(result)
                    print(
                        f"[bench-scale] {label} ({count:,} assets): "
                        + ", ".join(
                            f"{n} {e['rps']:.0f} rps" for n, e in result["endpoints"].items()
                        )
                        + f", dashboard p50 {result['dashboard']['p50_ms']:.1f} ms"
                    )
        finally:
            if server is not None:
                print(server.log_tail())
                server.stop()
            if not cfg.keep_db:
                with contextlib.suppress(Exception):
                    drop_database(pg_url, cfg.database)
    print()
    print(format_report(results))
    elapsed = time.time() - started
    print(f"\n[bench-scale] done in {elapsed / 60:.1f} min")
    report = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(elapsed),
        "config": {**cfg.__dict__, "postgres": "embedded" if embedded else "DATABASE_URL"},
        "cpu_count": os.cpu_count(),
        "results": results,
    }
    Path(cfg.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"[bench-scale] results written to {cfg.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
