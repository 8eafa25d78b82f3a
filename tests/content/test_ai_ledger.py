"""Tokens Azure billed are counted on the month's budget whatever fails once the model has
answered (content/ai_usage.py, "Billed tokens are never lost"): the database refusing the asset,
the connection killed while saving, the month's row locked past the request's bound (the job
records them), the database away for a moment (the web process retries). Each time the
reservation and the quota slot are given back exactly once, the periodic sweep included.

Real PostgreSQL throughout: a trigger refuses the row or kills its own connection, another
connection holds a row lock, ``ALTER DATABASE … ALLOW_CONNECTIONS false`` takes the database
away; the model is the Azure stand-in (tests/content/standin.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from content.ai_usage import (
    RECORD_AI_USAGE,
    BilledUsage,
    ai_generation_admit,
    ai_reservations_release_stale,
    ai_usage_pending,
    ai_usage_record,
)
from content.models import AiBudgetMonth, AiGeneration, AiReservation, AiUsage, ContentAsset
from content.selectors import usage_month
from jobs.queue import job_defer
from tests.content.sse import parse_events
from tests.queue import run_jobs
from tests.robustness.conftest import report

URL = "/api/content/generate"
PROMPT = "Annonce le lancement de ma collection d'été"
BILLED = (42, 17)  # the stand-in's usage for every answer


def generate(client, path: str):
    body = {"type": "CAPTION", "prompt": PROMPT}
    if path == "stream":
        response = client.post(URL, body, format="json", HTTP_ACCEPT="text/event-stream")
        assert response.status_code == 200, response.content
        events = parse_events(b"".join(response.streaming_content))
        assert [name for name, _ in events][-1] == "error", events
        return events[-1][1]
    response = client.post(URL, body, format="json")
    assert response.status_code >= 400, response.content
    return response


def month() -> AiBudgetMonth:
    return AiBudgetMonth.objects.get(month=usage_month())


def assert_counted_once(user, *, generations: int, slots: int) -> None:
    """The month holds the tokens of ``generations`` answers, nothing is reserved or in flight,
    and the user holds ``slots`` quota slots (the failed generation's given back)."""
    budget = month()
    assert (budget.prompt_tokens, budget.completion_tokens) == (
        BILLED[0] * generations,
        BILLED[1] * generations,
    )
    assert (budget.in_flight, budget.reserved_usd) == (0, Decimal(0))
    assert not AiReservation.objects.exists()
    assert AiUsage.objects.get(user=user).count == slots
    # The sweep finds nothing left to give back.
    assert ai_reservations_release_stale(older_than=dt.timedelta(0)) == 0
    assert AiUsage.objects.get(user=user).count == slots


def _admin_conninfo() -> dict:
    """libpq parameters of the test database's server, on its ``postgres`` database."""
    params = connection.get_connection_params()
    keep = ("host", "port", "user", "password")
    return {"dbname": "postgres", **{k: params[k] for k in keep if params.get(k)}}


def _test_db_conninfo() -> dict:
    return {**_admin_conninfo(), "dbname": connection.settings_dict["NAME"]}


# --- the database refuses the asset ----------------------------------------------------------


@pytest.fixture
def assets_refused(db):
    """A trigger refuses every new asset (as a constraint would): in the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.refuse_asset() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'asset refused' USING ERRCODE = 'check_violation'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_asset BEFORE INSERT ON content_assets "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_asset()"
        )


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["json", "stream"])
def test_an_asset_the_database_refuses_still_counts_its_billed_tokens(
    client_for_user, user, ai_standin, path, request
):
    assert (
        client_for_user.post(URL, {"type": "CAPTION", "prompt": PROMPT}, format="json").status_code
        == 201
    )
    request.getfixturevalue("assets_refused")

    generate(client_for_user, path)

    assert ContentAsset.objects.filter(user=user).count() == 1  # the first one only
    assert AiGeneration.objects.count() == 1
    # Both answers' tokens; the refused one's slot is given back, the first one's kept.
    assert_counted_once(user, generations=2, slots=1)


# --- the connection dies while saving ----------------------------------------------------------


@pytest.fixture
def asset_save_kills_its_connection(transactional_db):
    """A trigger terminates the connection that inserts an asset (committed: a real connection
    dies, as when PostgreSQL restarts mid-request); dropped after the test."""
    with psycopg.connect(**_test_db_conninfo(), autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION test_kill_asset_save() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); "
            "RETURN NEW; END $$"
        )
        admin.execute(
            "CREATE TRIGGER test_kill_asset_save BEFORE INSERT ON content_assets "
            "FOR EACH ROW EXECUTE FUNCTION test_kill_asset_save()"
        )
    try:
        yield
    finally:
        with psycopg.connect(**_test_db_conninfo(), autocommit=True) as admin:
            admin.execute("DROP TRIGGER IF EXISTS test_kill_asset_save ON content_assets")
            admin.execute("DROP FUNCTION IF EXISTS test_kill_asset_save()")
        connection.close()


@pytest.mark.parametrize("path", ["json", "stream"])
def test_a_connection_killed_while_saving_still_counts_the_billed_tokens_once(
    client_for_user, user, ai_standin, asset_save_kills_its_connection, path
):
    error = generate(client_for_user, path)
    if path == "json":
        assert error.status_code == 503
    else:
        assert error["error"]["code"] == "service_unavailable"

    connection.close()
    assert not ContentAsset.objects.exists()
    assert ai_usage_pending() == 0  # recorded at once, on a fresh connection
    assert_counted_once(user, generations=1, slots=0)


# --- the month's row locked past the request's bound: the job records -------------------------


@pytest.fixture
def lock_bound(transactional_db):
    """The web server's lock bound (``DATABASE_LOCK_TIMEOUT``) for every new session of the test
    database, short; reset after."""
    name = connection.settings_dict["NAME"]
    with psycopg.connect(**_admin_conninfo(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET lock_timeout = 300')
    connection.close()
    try:
        yield
    finally:
        with psycopg.connect(**_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" RESET lock_timeout')
        connection.close()


class RowLock:
    """Another connection holding the month's budget row (``SELECT … FOR UPDATE``)."""

    def __init__(self) -> None:
        self.conn: psycopg.Connection | None = None

    def take(self) -> None:
        self.conn = psycopg.connect(**_test_db_conninfo())
        self.conn.execute("SELECT 1 FROM content_ai_budget FOR UPDATE").fetchall()

    def release(self) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None


def _jobs(task_name: str) -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=task_name).order_by("id"))


def test_usage_the_request_cannot_record_is_recorded_by_the_job_once(
    client_for_user, user, ai_standin, lock_bound, settings
):
    settings.AI_USAGE_RETRY_DELAYS = [1, 1, 1]
    lock = RowLock()
    ai_standin.before_answer = lock.take
    try:
        response = generate(client_for_user, "json")
        assert response.status_code == 503
        assert response.headers.get("Retry-After")
        connection.close()

        # The request could record nothing (the row stayed locked): the job carries it.
        assert ai_usage_pending() == 0
        (job,) = _jobs(RECORD_AI_USAGE)
        assert job.args["prompt_tokens"] == BILLED[0]
        assert PROMPT not in str(job.args)
        assert (month().prompt_tokens, month().in_flight) == (0, 1)

        run_jobs()  # the row is still locked: this try fails and is retried
        (job,) = _jobs(RECORD_AI_USAGE)
        assert (job.status, job.attempts) == ("todo", 1)
        assert month().prompt_tokens == 0
    finally:
        lock.release()
    time.sleep(1.1)
    run_jobs()

    (job,) = _jobs(RECORD_AI_USAGE)
    assert job.status == "succeeded"
    assert_counted_once(user, generations=1, slots=0)

    # The same usage queued again (a job run twice) counts nothing more.
    (job,) = _jobs(RECORD_AI_USAGE)
    job_defer(RECORD_AI_USAGE, **job.args)
    run_jobs()
    assert [j.status for j in _jobs(RECORD_AI_USAGE)] == ["succeeded", "succeeded"]
    assert_counted_once(user, generations=1, slots=0)


# --- the database away for a moment: the web process retries ------------------------------------


class DatabaseAway:
    """The test database refuses every connection (``ALLOW_CONNECTIONS false``) and every
    connection to it is dropped, as during a restart or a failover; back after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.name = connection.settings_dict["NAME"]
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        with psycopg.connect(**_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [self.name],
            )
        self._timer = threading.Timer(self.seconds, self.back)
        self._timer.start()

    def back(self) -> None:
        with psycopg.connect(**_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.back()


@pytest.fixture
def database_away(transactional_db):
    away: list[DatabaseAway] = []

    def make(seconds: float) -> DatabaseAway:
        away.append(DatabaseAway(seconds))
        return away[-1]

    yield make
    for item in away:
        item.stop()
    _wait_until(lambda: ai_usage_pending() == 0, timeout=15)
    connection.close()


def _wait_until(condition, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("path", ["json", "stream"])
def test_database_briefly_away_the_usage_is_retried_and_recorded_once(
    client_for_user, user, ai_standin, database_away, settings, caplog, path
):
    settings.AI_USAGE_RETRY_DELAYS = [1, 1, 1, 1, 1, 1, 1, 1]
    caplog.set_level(logging.WARNING, logger="huntaze.content.ai_usage")
    ai_standin.before_answer = database_away(2.5).start

    started = time.monotonic()
    error = generate(client_for_user, path)
    answered = time.monotonic()
    if path == "json":
        assert error.status_code == 503
    assert ai_usage_pending() == 1  # neither the record nor its job could be written

    assert _wait_until(lambda: ai_usage_pending() == 0, timeout=15)
    report(
        f"AI answer saved while the database is away 2.5 s ({path})",
        error_after_s=answered - started,
        recorded_after_s=time.monotonic() - answered,
    )
    connection.close()
    assert_counted_once(user, generations=1, slots=0)
    assert not _jobs(RECORD_AI_USAGE)  # recorded directly once the database was back
    assert not [
        r
        for r in caplog.records
        if r.name == "huntaze.content.ai_usage" and r.levelno >= logging.ERROR
    ]


def test_usage_still_unrecorded_after_the_schedule_is_logged_at_error_without_the_prompt(
    client_for_user, user, ai_standin, database_away, settings, caplog
):
    settings.AI_USAGE_RETRY_DELAYS = [1, 1]
    caplog.set_level(logging.WARNING, logger="huntaze.content.ai_usage")
    away = database_away(30)
    ai_standin.before_answer = away.start

    assert generate(client_for_user, "json").status_code == 503
    assert _wait_until(lambda: ai_usage_pending() == 0, timeout=10)
    away.stop()

    (lost,) = [
        r
        for r in caplog.records
        if r.name == "huntaze.content.ai_usage" and r.levelno == logging.ERROR
    ]
    message = lost.getMessage()
    assert "42 prompt + 17 completion tokens" in message
    assert (lost.prompt_tokens, lost.completion_tokens, lost.tries) == (*BILLED, 2)
    for record in caplog.records:
        assert PROMPT not in record.getMessage()
        assert PROMPT not in str(record.__dict__)
    # Nothing was recorded; the reservation is still there for the sweep to give back.
    connection.close()
    assert month().prompt_tokens == 0
    assert AiReservation.objects.count() == 1


# --- the record itself: once, and after the sweep ------------------------------------------------


@pytest.mark.django_db
def test_a_usage_is_recorded_once_however_many_times_it_is_tried(user):
    reservation = ai_generation_admit(user=user, prompt=PROMPT)
    usage = BilledUsage.of(reservation, BILLED)
    assert ai_usage_record(usage=usage) is True
    assert ai_usage_record(usage=BilledUsage.from_job_kwargs(usage.job_kwargs())) is False
    assert_counted_once(user, generations=1, slots=0)


@pytest.mark.django_db
def test_a_usage_recorded_after_the_sweep_adds_its_tokens_and_releases_nothing_twice(user):
    kept = ai_generation_admit(user=user, prompt=PROMPT)  # a generation still alive
    dead = ai_generation_admit(user=user, prompt=PROMPT)
    AiReservation.objects.filter(pk=kept.id).delete()  # settled elsewhere: out of the sweep
    assert ai_reservations_release_stale(older_than=dt.timedelta(0)) == 1
    assert AiUsage.objects.get(user=user).count == 1

    usage = BilledUsage.of(dead, BILLED)
    assert ai_usage_record(usage=usage) is True
    budget = month()
    assert (budget.prompt_tokens, budget.completion_tokens) == BILLED
    assert AiUsage.objects.get(user=user).count == 1  # the sweep's release only
