"""Benchmark of ``manage.py import_legacy``: 10,000 users and 100,000 content assets.

``python -m bench.legacy`` (or ``make bench-import``). On the server of ``DATABASE_URL``, or the
embedded one, it builds a Prisma-era database from ``legacy/schema/schema.sql`` (users with
bcryptjs hashes, Google-only users, soft-deleted users, case duplicates, subscriptions, invites,
ten assets a user with tags and metadata, some NULL), a fresh migrated database of ours, then
times the real command in a subprocess with production settings: the first import, the second
run (the delta sync with nothing new: it must report ``nothing_to_do``) and a dry run. The
figures go to docs/migration.md.

``BENCH_LEGACY_USERS`` / ``BENCH_LEGACY_ASSETS`` change the sizes; ``BENCH_KEEP_DB=1`` keeps
both databases. Measure on an idle machine: the run is CPU-bound on 2 cores.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from bench.run import drop_database, recreate_database, server_url, with_database

REPO = Path(__file__).resolve().parent.parent
SOURCE_DB = "huntaze_bench_legacy_source"
TARGET_DB = "huntaze_bench_legacy"
# A real bcryptjs cost-12 hash (tests/legacy/fixtures/bcryptjs_hashes.json): the import only
# checks its shape, never verifies it.
HASH = "$2a$12$UBnd0lqmdbfeKtmvNGv7Q.WArw5O9cKIOBvzPtLrq71d9WAyeI6S."

FILL_SQL = """
INSERT INTO users (id, email, name, avatar, "passwordHash", subscription, "stripeCustomerId",
                   role, "createdAt", "updatedAt", "deletedAt")
SELECT 'clbenchuser' || lpad(i::text, 14, '0'),
       CASE WHEN i %% 100 = 50 THEN (1717171717000 + i) || '.deleted@huntaze.com'
            WHEN i %% 200 = 0 THEN 'Creator' || (i - 1) || '@Bench.Example'
            ELSE 'creator' || i || '@bench.example' END,
       'Creator ' || i,
       CASE WHEN i %% 2 = 0 THEN 'https://cdn.example.com/avatars/' || i || '.png' END,
       CASE WHEN i %% 3 = 0 THEN '' ELSE %(hash)s END,
       (CASE WHEN i %% 5 = 0 THEN 'PRO' ELSE 'FREE' END)::"Subscription",
       CASE WHEN i %% 5 = 0 THEN 'cus_bench' || i END,
       (CASE WHEN i %% 1000 = 1 THEN 'ADMIN' ELSE 'CREATOR' END)::"Role",
       timestamp '2024-01-01' + i * interval '1 minute',
       timestamp '2024-06-01' + i * interval '1 minute',
       CASE WHEN i %% 100 = 50 THEN timestamp '2024-07-01' END
FROM generate_series(1, %(users)s) AS i;

INSERT INTO accounts (id, "userId", type, provider, "providerAccountId")
SELECT 'clbenchacct' || lpad(i::text, 14, '0'), 'clbenchuser' || lpad(i::text, 14, '0'),
       'oauth', 'google', (100000000000000000000 + i)::text
FROM generate_series(3, %(users)s, 3) AS i;

INSERT INTO subscription_records (id, "userId", "stripeSubscriptionId", status, plan,
       "currentPeriodStart", "currentPeriodEnd", "cancelAtPeriodEnd", "createdAt", "updatedAt")
SELECT 'clbenchsub' || lpad(i::text, 15, '0'), 'clbenchuser' || lpad(i::text, 14, '0'),
       'sub_bench' || i, 'ACTIVE', 'PRO', timestamp '2024-06-01', timestamp '2024-07-01',
       i %% 10 = 0, timestamp '2024-02-01', timestamp '2024-06-01'
FROM generate_series(5, %(users)s, 5) AS i;

INSERT INTO content_assets (id, "userId", title, content, type, category, tags, metadata,
                            "createdAt", "updatedAt")
SELECT 'clbenchasset' || lpad(j::text, 13, '0'),
       'clbenchuser' || lpad((1 + j %% %(users)s)::text, 14, '0'),
       'Post number ' || j,
       repeat('A caption with emojis and #hashtags. ', 8),
       (ARRAY['POST', 'STORY', 'VIDEO', 'IMAGE', 'CAPTION'])[1 + j %% 5]::"ContentType",
       CASE WHEN j %% 4 = 0 THEN 'launch' END,
       CASE WHEN j %% 7 = 0 THEN NULL ELSE ARRAY['summer', 'tag' || (j %% 50)] END,
       CASE WHEN j %% 11 = 0 THEN NULL
            ELSE jsonb_build_object('n', j, 'ai', jsonb_build_object('model', 'gpt-4o')) END,
       timestamp '2024-01-01' + j * interval '1 second',
       timestamp '2024-01-02' + j * interval '1 second'
FROM generate_series(1, %(assets)s) AS j;

INSERT INTO beta_invites (id, email, code, "usedAt", "createdAt")
SELECT 'clbenchinv' || lpad(i::text, 15, '0'), 'invitee' || i || '@bench.example',
       upper(md5(i::text)), CASE WHEN i %% 2 = 0 THEN timestamp '2024-03-01' END,
       timestamp '2024-02-01'
FROM generate_series(1, %(users)s / 10) AS i;

INSERT INTO refresh_tokens (id, "userId", jti, "tokenHash", "expiresAt", "createdAt", "updatedAt")
SELECT 'clbenchrt' || lpad(i::text, 16, '0'), 'clbenchuser' || lpad(i::text, 14, '0'),
       'jti' || i, 'th' || i, timestamp '2024-08-01', timestamp '2024-07-01', timestamp '2024-07-01'
FROM generate_series(1, %(users)s, 4) AS i;
ANALYZE;
"""


def _env(database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "BENCH_", "LEGACY_"))
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"[bench] manage.py {args[0]} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout


def main() -> int:
    users = int(os.environ.get("BENCH_LEGACY_USERS", "10000"))
    assets = int(os.environ.get("BENCH_LEGACY_ASSETS", "100000"))
    keep = os.environ.get("BENCH_KEEP_DB", "") in ("1", "true", "yes")
    pg_url, embedded = server_url()
    print(f"[bench] PostgreSQL: {'embedded (huntaze.devdb)' if embedded else 'DATABASE_URL'}")
    source_url = with_database(pg_url, SOURCE_DB)
    target_url = with_database(pg_url, TARGET_DB)
    try:
        import psycopg

        t = time.perf_counter()
        recreate_database(pg_url, SOURCE_DB)
        # ClientCursor: several statements with parameters in one execute().
        with psycopg.connect(
            source_url, autocommit=True, cursor_factory=psycopg.ClientCursor
        ) as conn:
            conn.execute((REPO / "legacy" / "schema" / "schema.sql").read_text())
            conn.execute(FILL_SQL, {"hash": HASH, "users": users, "assets": assets})
        print(
            f"[bench] legacy database: {users:,} users, {assets:,} content assets "
            f"in {time.perf_counter() - t:.1f} s"
        )
        recreate_database(pg_url, TARGET_DB)
        env = _env(target_url)
        _manage(env, "migrate", "--noinput", "-v", "0")
        runs = {}
        for label, args in (
            ("dry run (empty target)", ["--dry-run"]),
            ("first import", []),
            ("second run (nothing new)", []),
        ):
            elapsed, out = _manage(env, "import_legacy", "--source", source_url, "--json", *args)
            report = json.loads(out)
            runs[label] = {
                "wall_seconds": round(elapsed, 2),
                "nothing_to_do": report["nothing_to_do"],
                "tables": report["tables"],
            }
            counts = report["tables"]
            print(
                f"[bench] {label:<26} {elapsed:6.1f} s wall ({report['duration_seconds']:.1f} s "
                f"importing): users {counts['users']}, content {counts['content_assets']}"
            )
        second = runs["second run (nothing new)"]
        print(
            f"[bench] second run: nothing to do = {second['nothing_to_do']}, "
            f"{second['wall_seconds']:.1f} s (the bound is 60 s)"
        )
        first = runs["first import"]["wall_seconds"]
        print(
            f"[bench] first import: {(users + assets) / first:,.0f} rows/s "
            f"({users:,} users + {assets:,} assets in {first:.1f} s, process start included)"
        )
        Path("bench-import-results.json").write_text(
            json.dumps({"users": users, "assets": assets, "runs": runs}, indent=2) + "\n"
        )
    finally:
        if not keep:
            drop_database(pg_url, SOURCE_DB)
            drop_database(pg_url, TARGET_DB)
    return 0


if __name__ == "__main__":
    sys.exit(main())
