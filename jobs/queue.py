"""The queue's pieces every job uses: the procrastinate app, the retry schedule and the worker's
database thread (docs/jobs.md).

**Enqueued in the caller's transaction.** ``task.defer(...)`` (or ``batch_defer``) in a web
request runs procrastinate's ``INSERT`` through ``procrastinate.contrib.django``'s connector,
which uses Django's own connection of the current thread — under the gevent workers, of the
current greenlet: the pooled connection the request holds, inside its open transaction. A
rolled-back change leaves no job; a committed one always has its job. No ``on_commit`` hook is
involved, so nothing is lost between the commit and a hook that a crash would skip.

**One database thread in the worker.** Jobs are ``async``: they wait on SMTP in a thread of
their own (``asyncio.to_thread``), and run their database work through ``db()``: Django's
thread-sensitive ``sync_to_async``, which in the worker is one thread holding one persistent
Django connection for every job. The worker's database footprint is that connection plus
procrastinate's own pool of one (``jobs.worker``): two, however many emails are in flight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection
from procrastinate import BaseRetryStrategy, JobContext, RetryDecision
from procrastinate.contrib.django import app
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "JobContext",
    "RetrySchedule",
    "app",
    "db",
    "idempotency_key_claim",
    "job_defer",
    "jobs_defer",
]


def job_defer(task_name: str, **task_kwargs: Any) -> int:
    """Defer the job ``task_name`` in the current transaction; its id.

    By name, so a service queues a job without importing the ``tasks`` module that imports the
    service back; an unknown name raises (``TaskNotFound``) rather than queue a job no worker
    knows.
    """
    return app.configure_task(name=task_name, allow_unknown=False).defer(**task_kwargs)


def jobs_defer(task_name: str, task_kwargs: Sequence[dict[str, Any]]) -> list[int]:
    """``job_defer`` for many jobs of one task, in one statement."""
    if not task_kwargs:
        return []
    return app.configure_task(name=task_name, allow_unknown=False).batch_defer(*task_kwargs)


def idempotency_key_claim(*, key: str) -> bool:
    """Claim ``key`` in the current transaction: True the first time, False once a committed
    transaction has claimed it (``IdempotencyKey``). Apply the effect in the same transaction
    only when it returns True, and a retry of it never applies it twice. A transaction claiming
    the same key at the same moment waits for the first one and then gets False."""
    from jobs.models import IdempotencyKey

    table = IdempotencyKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, created_at) VALUES (%s, now()) "  # noqa: S608
            "ON CONFLICT (key) DO NOTHING RETURNING key",
            [key[:128]],
        )
        return cursor.fetchone() is not None


def db(func: Callable[P, R]) -> Callable[P, Any]:
    """``func`` (database work with Django's ORM) as an awaitable run on the worker's one
    database thread, with Django's connection checked before and after, as around a request."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        _close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            _close_old_connections()

    return sync_to_async(run, thread_sensitive=True)


def _close_old_connections() -> None:
    # Not inside a transaction: the test suite runs jobs inside each test's own transaction,
    # where "obsolete" (autocommit off) would mean "close it".
    if not connection.in_atomic_block:
        close_old_connections()


class RetrySchedule(BaseRetryStrategy):
    """Retry a job that failed for a temporary reason, after each delay of ``delays`` in turn
    (read when the job fails, so the settings decide), then stop: the job has failed.

    ``retry_if(exception)`` says whether a failure is temporary. A job stopped by the worker's
    shutdown (it was cancelled) always runs again, at once.
    """

    def __init__(
        self, *, delays: Callable[[], Sequence[int]], retry_if: Callable[[BaseException], bool]
    ):
        self.delays = delays
        self.retry_if = retry_if

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError | JobAborted):
            return RetryDecision(retry_in={"seconds": 0})
        delay = self.next_delay(exception=exception, attempts=job.attempts)
        if delay is None:
            return None
        return RetryDecision(retry_in={"seconds": delay})

    def next_delay(self, *, exception: BaseException, attempts: int) -> int | None:
        """Seconds before the next try after the ``attempts + 1``-th failed, or None (failed)."""
        delays = list(self.delays())
        if attempts >= len(delays) or not self.retry_if(exception):
            return None
        return delays[attempts]

    def will_retry(self, *, exception: BaseException, context: JobContext) -> bool:
        return self.get_retry_decision(exception=exception, job=context.job) is not None


def schedule_span(delays: Sequence[int]) -> dt.timedelta:
    """Time from a job's first try to its last with ``delays`` (docs/jobs.md)."""
    return dt.timedelta(seconds=sum(delays))
