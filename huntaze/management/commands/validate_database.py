"""``manage.py validate_database`` (docs/api.md, Operations): is this database fit to serve this code?

Checks, in order (a failed connection stops there — the rest would only repeat it):

- ``database_url``: ``DATABASE_URL`` is set and names PostgreSQL. When it is unset, the URL came
  from the Secrets Manager database secret (``SECRETS_BACKEND=aws``: ok, says so) or from the
  embedded development server (ok with a note under ``DEBUG``; a failure with production
  settings — production settings refuse to start without a URL anyway).
- ``connection``: connect and run ``SELECT 1``; the detail gives the server version and the
  latency. Fails on any connection error (fast: settings set ``connect_timeout``), or when the
  latency is above ``--max-latency-ms``.
- ``migrations``: the migration plan to the code's leaf nodes is empty. Migrations recorded in the
  database that this code does not know (a newer release ran, then a rollback) are noted, not
  failed: migrations are kept backward-compatible so a previous release can run on them.
- ``tables``: every table of the installed models (their ``db_table``, many-to-many tables
  included), ``django_migrations`` and the database cache table (when the cache is the database).
- ``indexes``: every index and constraint named in a model's ``Meta.indexes`` /
  ``Meta.constraints`` (``content_tags_gin``, ``users_email_ci_unique`` …), found in
  ``pg_indexes`` (indexes, unique constraints) or ``pg_constraint`` (check constraints).
- each app's own data checks: an app whose ``AppConfig`` has ``database_checks(connection,
  repair=...)`` returns ``[(name, ok, detail)]`` (``content_counts``: the counts maintained by
  triggers agree with ``content_assets``, docs/content.md). They run when every expected table
  exists. ``--rebuild-counts`` lets them repair what drifted first
  (recomputed in one transaction) and say so.
- ``row_counts``: informational, one exact ``count(*)`` per existing expected table.

``--json`` prints exactly ``{"ok": bool, "checks": [{"name", "ok", "detail"}]}``. Exit status 1
when any check failed. The URL's password is never printed: details show
``user:***@host:port/name`` and any error text is scrubbed of it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import CheckConstraint, Index, UniqueConstraint

# Tables the operators' SQL and dashboards rely on (docs/data-model.md): required even if a model
# were renamed, on top of the list derived from the installed models.
CORE_TABLES = (
    "users",
    "django_session",
    "django_migrations",
    "subscription_records",
    "beta_invites",
    "content_assets",
    "api_keys",
    "refresh_tokens",
    "stripe_events",
    "account_emailaddress",
)
MAX_LISTED = 20


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def describe_url(url: str) -> str:
    """``postgres://user:***@host:port/name`` — never the password."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        host = parts.hostname or unquote((query.get("host") or [""])[0]) or "localhost"
        port = parts.port or (query.get("port") or ["5432"])[0]
    except ValueError:
        return "(unparsable URL)"
    user = unquote(parts.username or "")
    auth = f"{user}:***@" if parts.password else (f"{user}@" if user else "")
    if host.startswith("/"):  # a Unix socket folder (the embedded development server)
        return f"{parts.scheme}://{auth}/{parts.path.lstrip('/')} (socket {host}, port {port})"
    return f"{parts.scheme}://{auth}{host}:{port}{parts.path}"


class Command(BaseCommand):
    help = (
        "Check that the database is reachable PostgreSQL with every migration applied and the "
        "expected tables and indexes; print row counts. --json for machines. Exit 1 on failure."
    )
    # No system checks first: they are not what is asked, and an unreachable database must be
    # reported as a failed check, fast, not as a traceback from somewhere else.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default)."
        )
        parser.add_argument(
            "--max-latency-ms",
            type=float,
            default=500.0,
            help="Fail the connection check when SELECT 1 takes longer (500).",
        )
        parser.add_argument(
            "--rebuild-counts",
            action="store_true",
            help="Recompute maintained counts that disagree with their tables, then check.",
        )

    def handle(
        self,
        *args,
        json: bool,
        database: str,
        max_latency_ms: float,
        rebuild_counts: bool = False,
        **options,
    ):
        connection = connections[database]
        password = connection.settings_dict.get("PASSWORD") or ""
        checks = self._run(connection, max_latency_ms, repair=rebuild_counts)
        for check in checks:  # belt and braces: no check may ever carry the password
            if password and password in check.detail:
                check.detail = check.detail.replace(password, "***")
        ok = all(check.ok for check in checks)
        if json:
            self.stdout.write(_json_dumps({"ok": ok, "checks": [asdict(c) for c in checks]}))
        else:
            for check in checks:
                mark = self.style.SUCCESS("ok  ") if check.ok else self.style.ERROR("FAIL")
                self.stdout.write(f"[{mark}] {check.name:<14} {check.detail}")
            self.stdout.write(
                self.style.SUCCESS("database ok")
                if ok
                else self.style.ERROR(
                    f"database NOT ok: {sum(not c.ok for c in checks)} failed check(s)"
                )
            )
        if not ok:
            sys.exit(1)

    # --- the checks ------------------------------------------------------------------------------
    def _run(self, connection, max_latency_ms: float, repair: bool = False) -> list[Check]:
        # Settings that could not configure a database at all (huntaze/settings/base.py).
        config_error = settings.CONFIGURATION_ERRORS.get("DATABASES")
        if config_error:
            return [Check("database_url", False, config_error)]
        checks = [self._check_url(connection)]
        connected = self._check_connection(connection, max_latency_ms)
        checks.append(connected)
        if not connected.ok and connected.detail.startswith("cannot connect"):
            return checks
        try:
            checks.append(self._check_migrations(connection))
            existing = set(connection.introspection.table_names())
            expected = expected_tables()
            tables = self._check_tables(expected, existing)
            checks.append(tables)
            checks.append(self._check_indexes(connection, existing))
            if tables.ok:
                checks.extend(self._app_checks(connection, repair))
            checks.append(self._row_counts(connection, expected & existing))
        except DatabaseError as exc:  # the database went away half-way
            checks.append(Check("database", False, f"query failed: {_error_text(exc)}"))
        return checks

    def _check_url(self, connection) -> Check:
        vendor_ok = connection.vendor == "postgresql"
        from_env = os.environ.get("DATABASE_URL", "")
        if from_env:
            source, ok = "DATABASE_URL", True
            shown = describe_url(from_env)
        elif getattr(settings, "SECRETS_BACKEND", "env") == "aws":
            source, ok = f"the Secrets Manager secret {settings.SECRETS_DATABASE_ID}", True
            shown = describe_url(getattr(settings, "DATABASE_URL", ""))
        else:
            shown = describe_url(getattr(settings, "DATABASE_URL", ""))
            if settings.DATABASE_EMBEDDED_FALLBACK:
                source, ok = "the embedded development server (DATABASE_URL unset)", True
            else:
                source, ok = "no DATABASE_URL (required with production settings)", False
        if not vendor_ok:
            return Check("database_url", False, f"{shown} is {connection.vendor}, not PostgreSQL")
        return Check("database_url", ok, f"PostgreSQL from {source}: {shown}")

    def _check_connection(self, connection, max_latency_ms: float) -> Check:
        try:
            connection.ensure_connection()
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            latency_ms = (time.perf_counter() - started) * 1000
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
        except Exception as exc:  # OperationalError, or a driver error during connect
            connection.close()
            return Check("connection", False, f"cannot connect: {_error_text(exc)}")
        detail = f"PostgreSQL {version}; SELECT 1 in {latency_ms:.1f} ms"
        if latency_ms > max_latency_ms:
            return Check("connection", False, f"{detail} (above {max_latency_ms:g} ms)")
        return Check("connection", True, detail)

    def _check_migrations(self, connection) -> Check:
        executor = MigrationExecutor(connection)
        graph = executor.loader.graph
        plan = executor.migration_plan(graph.leaf_nodes())
        unknown = sorted(
            f"{app}.{name}"
            for app, name in executor.loader.applied_migrations
            if (app, name) not in graph.nodes
        )
        if plan:
            names = [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]
            return Check(
                "migrations",
                False,
                f"{len(names)} unapplied: {_listing(names)} (run manage.py migrate)",
            )
        detail = f"all {len(graph.nodes)} migrations applied"
        if unknown:
            detail += (
                f"; note: {len(unknown)} applied migration(s) unknown to this code "
                f"(a newer release?): {_listing(unknown)}"
            )
        return Check("migrations", True, detail)

    def _check_tables(self, expected: set[str], existing: set[str]) -> Check:
        missing = sorted(expected - existing)
        if missing:
            return Check(
                "tables",
                False,
                f"{len(missing)} of {len(expected)} missing: {_listing(missing)}",
            )
        return Check("tables", True, f"all {len(expected)} expected tables present")

    def _check_indexes(self, connection, existing_tables: set[str]) -> Check:
        index_names, constraint_names = expected_indexes()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = ANY(current_schemas(false))"
            )
            have_indexes = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT c.conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = ANY(current_schemas(false))"
            )
            have_constraints = {row[0] for row in cursor.fetchall()}
        missing = sorted(
            {f"{table}.{name}" for name, table in index_names.items() if name not in have_indexes}
            | {
                f"{table}.{name}"
                for name, table in constraint_names.items()
                if name not in have_constraints
            }
        )
        total = len(index_names) + len(constraint_names)
        if missing:
            return Check(
                "indexes", False, f"{len(missing)} of {total} missing: {_listing(missing)}"
            )
        return Check("indexes", True, f"all {total} named indexes and constraints present")

    def _app_checks(self, connection, repair: bool) -> list[Check]:
        """Each app's own checks of its data (``AppConfig.database_checks``)."""
        checks = []
        for config in apps.get_app_configs():
            run = getattr(config, "database_checks", None)
            if run is None:
                continue
            try:
                checks.extend(Check(*result) for result in run(connection, repair=repair))
            except DatabaseError as exc:  # e.g. a function of a migration not applied yet
                checks.append(Check(config.label, False, f"check failed: {_error_text(exc)}"))
        return checks

    def _row_counts(self, connection, tables: set[str]) -> Check:
        quote = connection.ops.quote_name
        counts = []
        with connection.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - known names
                counts.append(f"{table}={cursor.fetchone()[0]}")
        return Check("row_counts", True, ", ".join(counts) or "no tables")


# --- what this code expects ----------------------------------------------------------------------
def _models():
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            yield model


def expected_tables() -> set[str]:
    tables = {model._meta.db_table for model in _models()} | set(CORE_TABLES)
    for cache in settings.CACHES.values():
        if cache["BACKEND"] in (
            "django.core.cache.backends.db.DatabaseCache",
            "huntaze.cache.DatabaseCache",
        ):
            tables.add(cache["LOCATION"])
    return tables


def expected_indexes() -> tuple[dict[str, str], dict[str, str]]:
    """``({index name: table}, {constraint name: table})`` from the models' Meta.

    Indexes and unique constraints are indexes in PostgreSQL (``pg_indexes``); check constraints
    are only in ``pg_constraint``.
    """
    indexes: dict[str, str] = {}
    constraints: dict[str, str] = {}
    for model in _models():
        table = model._meta.db_table
        for index in model._meta.indexes:
            if isinstance(index, Index) and index.name:
                indexes[index.name] = table
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint):
                indexes[constraint.name] = table
            elif isinstance(constraint, CheckConstraint):
                constraints[constraint.name] = table
    return indexes, constraints


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" … (+{len(names) - MAX_LISTED})" if len(names) > MAX_LISTED else "")


def _error_text(exc: Exception) -> str:
    """One line naming the error; psycopg's text names host and port, never the password."""
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text[:300]}"


def _json_dumps(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)
