"""Reading the Prisma-era database: one read-only, repeatable-read snapshot (docs/migration.md).

The source is opened with psycopg 3 directly, apart from Django's connections: the import
never writes to it (the transaction is ``READ ONLY``, so a bug could not either), and every
query of a run reads the same snapshot (``REPEATABLE READ``), even while the old app keeps
writing. The schema is the one in ``legacy/schema/schema.sql``.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit

import psycopg
from psycopg import IsolationLevel

# The columns the import reads, per legacy table: a database without them is not a
# Prisma-era Huntaze database and is refused before anything is read.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": (
        "id",
        "email",
        "name",
        "avatar",
        "passwordHash",
        "subscription",
        "stripeCustomerId",
        "role",
        "createdAt",
        "updatedAt",
        "deletedAt",
    ),
    "accounts": ("id", "userId", "provider", "providerAccountId"),
    "sessions": ("id", "userId"),
    "beta_invites": ("id", "email", "code", "usedAt", "createdAt"),
    "subscription_records": (
        "id",
        "userId",
        "stripeSubscriptionId",
        "status",
        "plan",
        "currentPeriodStart",
        "currentPeriodEnd",
        "cancelAtPeriodEnd",
        "createdAt",
        "updatedAt",
    ),
    "content_assets": (
        "id",
        "userId",
        "title",
        "content",
        "type",
        "category",
        "tags",
        "metadata",
        "createdAt",
        "updatedAt",
    ),
    "api_keys": ("id", "userId", "name", "lastUsedAt", "expiresAt", "createdAt"),
    "refresh_tokens": ("id", "userId", "createdAt"),
}

# Query parameters of Prisma's connection strings that libpq does not know. ``schema`` becomes
# the search_path; the others are Prisma's pool settings and mean nothing here.
PRISMA_ONLY_PARAMS = {
    "schema",
    "connection_limit",
    "pool_timeout",
    "pgbouncer",
    "socket_timeout",
    "statement_cache_size",
    "sslaccept",
}
CONNECT_TIMEOUT_SECONDS = 5


class SourceError(Exception):
    """The source cannot be read; the message is one line, without the password."""


def _split(url: str) -> SplitResult:
    """``url`` parsed, or ``SourceError`` in words that quote nothing of it (a malformed URL
    can hold the password anywhere)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsed lazily: a malformed port raises here
    except ValueError as exc:
        if "IPv6" in str(exc):
            why = "a host in [brackets] is not closed"
        elif "Port" in str(exc) or "port" in str(exc):
            why = "the port is not a number from 0 to 65535"
        else:
            why = "it cannot be parsed"
        raise SourceError(f"the legacy database URL is malformed: {why}") from None
    return parts


def describe(url: str) -> str:
    """The URL for messages and the report: ``user:***@host:port/db``, never the password."""
    parts = _split(url)
    host = parts.hostname or ""
    if not host:
        query = dict(parse_qsl(parts.query))
        host = f"(socket {query.get('host', 'default')})"
    port = f":{parts.port}" if parts.port else ""
    user = (
        f"{parts.username}:***@"
        if parts.password
        else (f"{parts.username}@" if parts.username else "")
    )
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _libpq_url(url: str) -> tuple[str, str | None]:
    """``url`` without Prisma's own parameters, and the schema Prisma's ``?schema=`` names."""
    parts = _split(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SourceError(
            f"the legacy database URL must be postgres://… (got {parts.scheme or 'no scheme'}://)"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema" and value), None)
    kept = urlencode([(k, v) for k, v in query if k not in PRISMA_ONLY_PARAMS])
    # Not urlunsplit: it drops the "//" of an empty host (postgres:///db?host=/socket).
    url = f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{kept}" if kept else "")
    return url, schema


def _search_path_option(schema: str) -> str:
    """libpq ``options`` setting the search path to exactly ``schema``, as Prisma means it:
    quoted, so ``Legacy`` stays ``Legacy`` (unquoted, PostgreSQL would fold it to
    ``legacy``). Backslashes and spaces are escaped for libpq's option splitting."""
    identifier = '"' + schema.replace('"', '""') + '"'
    return "-c search_path=" + identifier.replace("\\", "\\\\").replace(" ", "\\ ")


def _one_line(exc: BaseException, url: str) -> str:
    text = " ".join(str(exc).split())
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    for secret in {password, unquote(password or "")} - {None, ""}:
        text = text.replace(secret, "***")
    return text or exc.__class__.__name__


class LegacySource:
    """An open snapshot of the legacy database. Use as a context manager."""

    def __init__(self, url: str):
        self.url = url
        self.description = describe(url)
        self._conn: psycopg.Connection | None = None
        self.schema: str | None = None

    def __enter__(self) -> LegacySource:
        libpq_url, self.schema = _libpq_url(self.url)
        options = {"options": _search_path_option(self.schema)} if self.schema else {}
        try:
            conn = psycopg.connect(
                libpq_url,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name="huntaze import_legacy",
                **options,
            )
        except psycopg.Error as exc:
            raise SourceError(
                f"cannot connect to the legacy database {self.description}: "
                f"{_one_line(exc, self.url)}"
            ) from None
        conn.read_only = True
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        self._conn = conn
        try:
            # The first statement opens the snapshot every later query reads.
            self.snapshot_at = self.fetch_all("SELECT now()")[0][0]
            self._check_schema()
        except BaseException:
            conn.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self._conn is not None:
            try:
                self._conn.rollback()  # read-only: nothing to keep
            finally:
                self._conn.close()
                self._conn = None

    @property
    def conn(self) -> psycopg.Connection:
        assert self._conn is not None
        return self._conn

    def _check_schema(self) -> None:
        if self.schema and not self.fetch_all(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", [self.schema]
        ):
            raise SourceError(
                f"{self.description} has no schema {self.schema!r} (the URL's ?schema=; "
                "the name is case-sensitive)"
            )
        # The catalog itself rather than information_schema: the same answer, several times
        # faster (information_schema.columns checks privileges on every column it lists).
        rows = self.fetch_all(
            """
            SELECT c.relname::text, a.attname::text
            FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relnamespace IN (
                    SELECT oid FROM pg_namespace WHERE nspname = ANY (current_schemas(false)))
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = ANY (%s)
            """,
            [list(REQUIRED_COLUMNS)],
        )
        found: dict[str, set[str]] = {}
        for table, column in rows:
            found.setdefault(table, set()).add(column)
        missing_tables = [t for t in REQUIRED_COLUMNS if t not in found]
        if missing_tables:
            raise SourceError(
                f"{self.description} is not a Prisma-era Huntaze database: "
                f"missing table(s) {', '.join(missing_tables)}"
            )
        missing = [
            f'{table}."{column}"'
            for table, columns in REQUIRED_COLUMNS.items()
            for column in columns
            if column not in found[table]
        ]
        if missing:
            raise SourceError(
                f"{self.description} is not a Prisma-era Huntaze database: "
                f"missing column(s) {', '.join(missing)}"
            )

    # --- reads (every one inside the snapshot) -------------------------------------------------

    def _failed(self, exc: psycopg.Error) -> SourceError:
        return SourceError(
            f"the legacy database {self.description} failed during the import: "
            f"{_one_line(exc, self.url)} (batches already written are kept; run the command "
            "again to carry on)"
        )

    def fetch_all(self, query: str, params=None) -> list[tuple]:
        try:
            return self.conn.execute(query, params).fetchall()
        except psycopg.Error as exc:
            raise self._failed(exc) from None

    def count(self, table: str) -> int:
        # ``table`` is one of REQUIRED_COLUMNS' keys, never user input.
        assert table in REQUIRED_COLUMNS
        return self.fetch_all(f'SELECT count(*) FROM "{table}"')[0][0]  # noqa: S608

    def stream(self, query: str, *, batch_size: int, params=None) -> Iterator[list[tuple]]:
        """Rows of ``query`` in lists of ``batch_size``, through a server-side cursor."""
        try:
            with self.conn.cursor(name="legacy_stream") as cursor:
                cursor.itersize = batch_size
                cursor.execute(query, params)
                while True:
                    rows = cursor.fetchmany(batch_size)
                    if not rows:
                        return
                    yield rows
        except psycopg.Error as exc:
            raise self._failed(exc) from None
