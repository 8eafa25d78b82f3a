"""Secrets: the start-up loader and the runtime cache (docs/configuration.md, Secrets). The only boto3 importer.

Two public entry points:

- ``load_database_url()`` — called by ``huntaze/settings/base.py`` while it is being imported, when
  ``SECRETS_BACKEND=aws`` and ``DATABASE_URL`` is not set. Django settings do not exist yet, so
  it reads its own configuration from the environment. It returns a PostgreSQL URL built from
  the database secret, or stops start-up with ``ImproperlyConfigured`` naming what is missing.
- ``runtime_secret(name)`` — the current value of a run-time secret (``STRIPE_SECRET_KEY``,
  ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_PRICE_*``, ``AZURE_OPENAI_API_KEY``,
  ``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_DEPLOYMENT``), or ``""`` when it is configured
  nowhere. Callers turn ``""`` into 503 ``service_unavailable``.

With ``SECRETS_BACKEND=aws`` a run-time secret is read from its Secrets Manager secret through an
in-memory cache (``SECRETS_CACHE_SECONDS``): one lock per secret with a double check, so many
concurrent reads of an expired secret make one AWS call; a failed refresh keeps serving the last
good value (with a warning) and is retried after ``min(TTL, 30 s)``; a secret that cannot be
fetched, or that lacks a key, falls back to the environment variable of the same name. Every
fetch writes one audit line (secret id, outcome, version id) and never the value; every value
read is registered with ``huntaze.logging`` so the log filter redacts it wherever it appears.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

from huntaze.logging import register_secret_value

logger = logging.getLogger("huntaze.secrets")

DEFAULT_IDS = {
    "database": "huntaze/database",
    "stripe": "huntaze/stripe",
    "azure": "huntaze/azure",
}
# Which secret holds which key, and which keys the feature cannot work without.
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "stripe": (
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_PRICE_PRO_MONTHLY",
        "STRIPE_PRICE_PRO_YEARLY",
        "STRIPE_PRICE_ENTERPRISE_MONTHLY",
        "STRIPE_PRICE_ENTERPRISE_YEARLY",
    ),
    "azure": ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT"),
}
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "stripe": ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"),
    "azure": ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"),
}
# Values that are credentials (redacted from logs); price ids, endpoints and deployment names are
# configuration that may appear in logs.
SENSITIVE_KEYS = frozenset(
    {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "AZURE_OPENAI_API_KEY", "password"}
)
RDS_FIELDS = ("host", "username", "password", "dbname")  # plus optional port, engine, sslmode
_KEY_TO_SECRET = {key: secret for secret, keys in SECRET_KEYS.items() for key in keys}

# Secrets Manager: 5 s to connect, 5 s to read, two attempts in all (docs/api.md, Configuration).
BOTO_OPTIONS = {
    "connect_timeout": 5,
    "read_timeout": 5,
    "retries": {"max_attempts": 2, "mode": "standard"},
}
FAILURE_RETRY_SECONDS = 30


class SecretFetchError(Exception):
    """A secret could not be read. ``reason`` is an AWS error code or an exception class name."""

    def __init__(self, secret_id: str, reason: str):
        super().__init__(f"secret {secret_id!r} could not be fetched ({reason})")
        self.secret_id = secret_id
        self.reason = reason


class SecretKeyMissing(ImproperlyConfigured):
    """A secret's JSON lacks an expected key. The message names the key, never a value."""

    def __init__(self, secret_id: str, keys: list[str] | tuple[str, ...]):
        super().__init__(f"secret {secret_id!r} has no key {', '.join(keys)}")
        self.secret_id = secret_id
        self.keys = tuple(keys)


# --- configuration -------------------------------------------------------------------------------


def _config(name: str, default: str) -> str:
    """A setting from Django settings once they are loaded, else from the environment.

    ``load_database_url`` runs while the settings module is being imported: touching
    ``django.conf.settings`` then would import it again, so the environment is read instead.
    """
    from django.conf import settings

    value = getattr(settings, name, None) if settings.configured else os.environ.get(name)
    return default if value is None or value == "" else str(value)


def secret_id(kind: str) -> str:
    """The configured id of the ``database``, ``stripe`` or ``azure`` secret."""
    return _config(f"SECRETS_{kind.upper()}_ID", DEFAULT_IDS[kind])


def _backend() -> str:
    return _config("SECRETS_BACKEND", "env").strip().lower()


def _ttl() -> float:
    try:
        return float(_config("SECRETS_CACHE_SECONDS", "300"))
    except ValueError:
        return 300.0


# --- the AWS call ----------------------------------------------------------------------------------

_client_lock = threading.Lock()
_clients: dict[tuple[str, str], object] = {}


def _client():
    """One Secrets Manager client per (region, endpoint), created once (clients are thread-safe).

    boto3 itself honours ``AWS_ENDPOINT_URL`` (a local stand-in in tests) and the usual credential
    chain (the instance role in production). boto3 is imported here, not at module level, so
    a process on the ``env`` backend never loads it.
    """
    import boto3
    from botocore.config import Config

    region = _config("AWS_REGION", "us-east-1")
    key = (region, os.environ.get("AWS_ENDPOINT_URL", ""))
    with _client_lock:
        client = _clients.get(key)
        if client is None:
            client = boto3.session.Session().client(
                "secretsmanager", region_name=region, config=Config(**BOTO_OPTIONS)
            )
            _clients[key] = client
        return client


def fetch_secret(secret_id: str) -> dict[str, str]:
    """Read one secret, uncached: its JSON object with every value as a string.

    Writes one audit line (id, outcome, version id — never the value). Raises
    ``SecretFetchError`` when the secret cannot be read or is not a JSON object.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    version = None
    try:
        response = _client().get_secret_value(SecretId=secret_id)
        version = response.get("VersionId")
        raw = response.get("SecretString")
        if raw is None:
            raise SecretFetchError(secret_id, "NotAJsonObject")
        try:
            data = json.loads(raw)
        except ValueError:
            raise SecretFetchError(secret_id, "NotAJsonObject") from None
        if not isinstance(data, dict):
            raise SecretFetchError(secret_id, "NotAJsonObject")
    except ClientError as exc:
        reason = exc.response.get("Error", {}).get("Code") or "ClientError"
        _audit(secret_id, reason, version)
        raise SecretFetchError(secret_id, reason) from None
    except BotoCoreError as exc:
        reason = type(exc).__name__
        _audit(secret_id, reason, version)
        raise SecretFetchError(secret_id, reason) from None
    except SecretFetchError as exc:
        _audit(secret_id, exc.reason, version)
        raise
    values = {str(k): "" if v is None else str(v) for k, v in data.items()}
    for key, value in values.items():
        if key in SENSITIVE_KEYS:
            register_secret_value(value)
    _audit(secret_id, "ok", version)
    return values


# Start-up audit lines are written before logging is configured (the settings module is still
# being imported); they are kept here and replayed by HuntazeConfig.ready().
_deferred_records: list[logging.LogRecord] = []


def _audit(secret_id: str, outcome: str, version: str | None) -> None:
    from django.conf import settings

    level = logging.INFO if outcome == "ok" else logging.WARNING
    extra = {"event": "secret_fetch", "secret_id": secret_id, "outcome": outcome}
    if version:
        extra["version_id"] = version
    if settings.configured:
        logger.log(level, "secret fetch %s: %s", secret_id, outcome, extra=extra)
    else:
        record = logger.makeRecord(
            logger.name, level, __file__, 0, "secret fetch %s: %s", (secret_id, outcome), None
        )
        record.__dict__.update(extra)
        _deferred_records.append(record)


def flush_startup_log() -> None:
    """Emit the audit lines written before logging was configured (called once by the app)."""
    while _deferred_records:
        record = _deferred_records.pop(0)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


# --- start-up: the database URL ------------------------------------------------------------------


def database_url_from_secret(values: dict[str, str], secret_id: str) -> str:
    """A ``DATABASE_URL`` key, or the fields of an AWS-managed RDS secret turned into a URL.

    The user name, password and database name are percent-quoted, so any character in a
    generated password survives django-environ's parsing.
    """
    if values.get("DATABASE_URL"):
        register_secret_value(_url_password(values["DATABASE_URL"]))
        return values["DATABASE_URL"]
    missing = [field for field in RDS_FIELDS if not values.get(field)]
    if missing:
        raise SecretKeyMissing(secret_id, ["DATABASE_URL (or " + ", ".join(missing) + ")"])
    engine = values.get("engine", "postgres").lower()
    if "postgres" not in engine:
        raise ImproperlyConfigured(
            f"secret {secret_id!r} is for engine {engine!r}; Huntaze needs PostgreSQL."
        )
    host = values["host"]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    port = values.get("port") or "5432"
    url = (
        f"postgres://{quote(values['username'], safe='')}:{quote(values['password'], safe='')}"
        f"@{host}:{port}/{quote(values['dbname'], safe='')}"
    )
    if values.get("sslmode"):
        url += f"?sslmode={quote(values['sslmode'], safe='')}"
    return url


def _url_password(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(url).password or "")
    except ValueError:
        return ""


def load_database_url() -> str:
    """The database URL from the database secret; ``DATABASE_URL`` from the environment else.

    Called by settings only when ``DATABASE_URL`` is unset, so the environment fallback matters
    when this is called directly (``check_secrets``). With neither, start-up stops with a
    message naming the secret, why it failed and the variable that would replace it.
    """
    sid = secret_id("database")
    try:
        values = fetch_secret(sid)
        return database_url_from_secret(values, sid)
    except (SecretFetchError, SecretKeyMissing) as exc:
        problem = str(exc)
    fallback = os.environ.get("DATABASE_URL", "")
    if fallback:
        return fallback
    raise ImproperlyConfigured(
        f"No database configuration: {problem}, and DATABASE_URL is not set. Create the "
        f"secret (a DATABASE_URL key, or host, port, username, password and dbname), fix "
        f"SECRETS_DATABASE_ID / AWS_REGION / the instance's permissions, or set DATABASE_URL."
    )


# --- run time: the cache ---------------------------------------------------------------------------


@dataclass
class _Entry:
    values: dict[str, str] | None  # last good value; None if no fetch ever succeeded
    expires_at: float


_cache: dict[str, _Entry] = {}
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(sid: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(sid, threading.Lock())


def _cached_secret(kind: str) -> dict[str, str] | None:
    """The secret's values through the TTL cache, or None when it was never fetched."""
    sid = secret_id(kind)
    entry = _cache.get(sid)
    if entry is not None and time.monotonic() < entry.expires_at:
        return entry.values
    with _lock_for(sid):
        entry = _cache.get(sid)  # another thread may have refreshed it while we waited
        if entry is not None and time.monotonic() < entry.expires_at:
            return entry.values
        ttl = _ttl()
        try:
            values = fetch_secret(sid)
        except SecretFetchError as exc:
            retry_at = time.monotonic() + min(ttl, FAILURE_RETRY_SECONDS)
            previous = entry.values if entry is not None else None
            if previous is not None:
                logger.warning(
                    "secret %s: refresh failed (%s), serving the last good value",
                    sid,
                    exc.reason,
                    extra={"event": "secret_stale", "secret_id": sid, "outcome": exc.reason},
                )
            else:
                logger.warning(
                    "secret %s: unavailable (%s), falling back to the environment",
                    sid,
                    exc.reason,
                    extra={"event": "secret_fallback", "secret_id": sid, "outcome": exc.reason},
                )
            _cache[sid] = _Entry(previous, retry_at)
            return previous
        missing = [key for key in REQUIRED_KEYS.get(kind, ()) if not values.get(key)]
        if missing:
            error = SecretKeyMissing(sid, missing)
            logger.error(
                "%s; the environment variable of the same name is used instead",
                error,
                extra={"event": "secret_key_missing", "secret_id": sid, "missing_keys": missing},
            )
        _cache[sid] = _Entry(values, time.monotonic() + ttl)
        return values


def runtime_secret(name: str) -> str:
    """The current value of a run-time secret, or ``""`` when it is configured nowhere.

    With ``SECRETS_BACKEND=aws``: the key in its secret (cached), else the setting of the same
    name (read from the environment at start-up). With ``env``: the setting.
    """
    from django.conf import settings

    value = ""
    kind = _KEY_TO_SECRET.get(name)
    if kind is not None and _backend() == "aws":
        values = _cached_secret(kind)
        if values is not None:
            value = values.get(name, "")
    if not value:
        value = str(getattr(settings, name, "") or "")
        if name in SENSITIVE_KEYS:
            register_secret_value(value)
    return value


def secrets_cache_clear() -> None:
    """Forget cached secrets and clients (tests; a changed ``AWS_ENDPOINT_URL``)."""
    with _locks_guard:
        _cache.clear()
        _locks.clear()
    with _client_lock:
        _clients.clear()
