"""Web requests' database waits are bounded (``DATABASE_STATEMENT_TIMEOUT``,
``DATABASE_LOCK_TIMEOUT``): past a bound the request answers 503 ``service_unavailable`` with
``Retry-After`` instead of holding its connection and request slot for as long as PostgreSQL
lets it, and while it waits the other requests of its worker are served. ``manage.py`` commands
(migrations, the import, the job worker) run without the bounds.

A row lock is held from another connection (``SELECT … FOR UPDATE``), and a slow statement is a
trigger that sleeps in PostgreSQL: real waits in the real database, nothing patched.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.test import RequestFactory
from prometheus_client import REGISTRY

from accounts.models import User
from accounts.services.tokens import access_token_issue
from huntaze.middleware import DatabaseUnavailableMiddleware
from huntaze.settings.base import database_settings, request_bounds_options
from tests import factories
from tests.conftest import assert_error
from tests.observability.conftest import TOKEN
from tests.observability.servers import http, sample_value
from tests.robustness.conftest import report
from tests.servers import Gunicorn, database_url, manage, production_env

pytestmark = pytest.mark.django_db(transaction=True)


def _reached(bound: str) -> float:
    return REGISTRY.get_sample_value("huntaze_db_bounds_reached_total", {"bound": bound}) or 0.0


def _url() -> str:
    return database_url(connection.settings_dict["NAME"])


class RowLock:
    """``SELECT … FOR UPDATE`` of one user's row, held in another session until ``release``."""

    def __init__(self, user_id) -> None:
        self.conn = psycopg.connect(_url())
        self.conn.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", [user_id])

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


@pytest.fixture
def session_bounds():
    """``SET`` a bound on the test's own connection (the suite's sessions have none, as
    ``manage.py``'s); ``RESET`` afterwards."""

    def apply(**bounds: str) -> None:
        with connection.cursor() as cursor:
            for name, value in bounds.items():
                cursor.execute("SELECT set_config(%s, %s, false)", [name, value])

    yield apply
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")
        cursor.execute("RESET lock_timeout")


def test_only_the_web_servers_sessions_get_the_bounds():
    url = "postgres://u@db.example/huntaze?options=-c%20search_path%3Dpublic"
    web = database_settings(url, request_bounds=True)["OPTIONS"]["options"]
    assert web == "-c search_path=public -c statement_timeout=10000 -c lock_timeout=2000"
    command = database_settings(url)["OPTIONS"]["options"]
    assert command == "-c search_path=public"
    assert request_bounds_options(statement_timeout=0, lock_timeout=1.5) == "-c lock_timeout=1500"
    assert request_bounds_options(statement_timeout=0, lock_timeout=0) == ""


@pytest.mark.parametrize(
    ("bound", "session"),
    [
        ("lock_timeout", {"lock_timeout": "300ms"}),
        # No lock bound: the statement's own bound ends the wait.
        ("statement_timeout", {"lock_timeout": "0", "statement_timeout": "300ms"}),
    ],
)
def test_a_wait_past_its_bound_is_a_503_with_retry_after(
    session_bounds, make_user, auth_client, bound, session
):
    user = make_user(name="Before")
    client = auth_client(user)
    lock = RowLock(user.pk)
    try:
        session_bounds(**session)
        before = _reached(bound)
        response = client.patch("/api/users/profile", {"name": "After"}, format="json")
        assert_error(response, 503, "service_unavailable")
        assert response["Retry-After"] == "1"
        assert _reached(bound) == before + 1
    finally:
        lock.release()
    assert User.objects.get(pk=user.pk).name == "Before"
    assert client.patch("/api/users/profile", {"name": "After"}, format="json").status_code == 200


def test_outside_the_api_a_bound_is_the_same_503(session_bounds):
    """The admin and allauth's pages are not DRF views: the middleware answers for them."""
    session_bounds(statement_timeout="50ms")
    with pytest.raises(OperationalError) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().get("/admin/"), caught.value)
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert json.loads(response.content)["error"]["code"] == "service_unavailable"


# --- the real server -----------------------------------------------------------------------------

SLOW_TRIGGER = """
CREATE FUNCTION test_slow_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title = 'slow statement' THEN PERFORM pg_sleep(120); END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_slow_statement BEFORE INSERT ON content_assets
    FOR EACH ROW EXECUTE FUNCTION test_slow_statement();
"""


def _request(server: Gunicorn, method: str, path: str, token: str, body: dict | None = None):
    return _timed(server, method, path, token, body)[0]


def _timed(server: Gunicorn, method: str, path: str, token: str, body: dict | None = None):
    """``_request``'s answer and the seconds it took."""
    started = time.monotonic()
    return _answer(server, method, path, token, body), time.monotonic() - started


def _answer(server: Gunicorn, method: str, path: str, token: str, body: dict | None = None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    return http(method, server.base + path, headers=headers, body=data, timeout=60)


def _waiting(conn: psycopg.Connection) -> set[str]:
    """What the app's sessions are waiting on: ``Lock`` (a row lock), ``PgSleep`` (the slow
    statement)."""
    rows = conn.execute(
        "SELECT wait_event FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND wait_event IN ('transactionid', 'tuple', 'PgSleep')"
    ).fetchall()
    return {"PgSleep" if event == "PgSleep" else "Lock" for (event,) in rows}


@pytest.mark.slow
def test_waits_are_bounded_and_never_stall_the_worker():
    """One gevent worker: creator A's profile change waits on a row lock held by another
    session, creator B's new asset on a two-minute statement; other creators' reads are all
    answered meanwhile, then A and B get their 503 while the lock and the sleep still go on."""
    env = production_env(
        _url(),
        JWT_SIGNING_KEY=django_settings.JWT_SIGNING_KEY,
        METRICS_TOKEN=TOKEN,
        DATABASE_LOCK_TIMEOUT="8",
        DATABASE_STATEMENT_TIMEOUT="12",
    )
    server = Gunicorn(env, workers=1)
    admin = psycopg.connect(_url(), autocommit=True)
    admin.execute(SLOW_TRIGGER)
    lock = None
    try:
        a, b, *readers = [factories.make_user() for _ in range(5)]
        token_a, token_b = access_token_issue(user=a), access_token_issue(user=b)
        reader_tokens = [access_token_issue(user=u) for u in readers]
        lock = RowLock(a.pk)
        with ThreadPoolExecutor(8) as pool:
            blocked = pool.submit(
                _timed, server, "PATCH", "/api/users/profile", token_a, {"name": "A"}
            )
            slow = pool.submit(
                _timed,
                server,
                "POST",
                "/api/content",
                token_b,
                {"title": "slow statement", "content": "x", "type": "POST"},
            )
            deadline = time.monotonic() + 30
            while _waiting(admin) != {"Lock", "PgSleep"} and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _waiting(admin) == {"Lock", "PgSleep"}

            reads = [
                pool.submit(_timed, server, "GET", "/api/users/profile", token)
                for token in reader_tokens * 3
            ]
            assert [r.result()[0][0] for r in reads] == [200] * 9
            assert not blocked.done() and not slow.done()  # the worker served around them

            waited = {}
            for name, future in (("lock", blocked), ("statement", slow)):
                (status, headers, body), waited[name] = future.result(timeout=60)
                assert status == 503, body[:300]
                assert json.loads(body)["error"]["code"] == "service_unavailable"
                assert headers["Retry-After"] == "1"
        assert _waiting(admin) == set()  # the sleeping statement was cancelled too
        report(
            "lock wait and slow statement (bounds 8 s and 12 s)",
            other_reads_slowest_s=max(r.result()[1] for r in reads),
            lock_wait_503_after_s=waited["lock"],
            slow_statement_503_after_s=waited["statement"],
        )
        status, _h, text = http(
            "GET", server.base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        for bound in ("lock_timeout", "statement_timeout"):
            assert sample_value(text.decode(), "huntaze_db_bounds_reached_total", bound=bound) == 1
        lock.release()
        lock = None
        assert _request(server, "PATCH", "/api/users/profile", token_a, {"name": "A"})[0] == 200
        assert User.objects.get(pk=a.pk).name == "A"
    finally:
        if lock is not None:
            lock.release()
        admin.execute("DROP TRIGGER IF EXISTS test_slow_statement ON content_assets")
        admin.execute("DROP FUNCTION IF EXISTS test_slow_statement()")
        admin.close()
        server.stop()

    # manage.py commands (migrations, the import, the job worker) run without the bounds.
    shown = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SHOW statement_timeout'); print(c.fetchone()[0])\n"
        "    c.execute('SHOW lock_timeout'); print(c.fetchone()[0])",
        env=env,
        check=True,
    )
    assert shown.stdout.split() == ["0", "0"]
