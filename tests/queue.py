"""Run the queued jobs inside a test (``run_jobs`` fixture in tests/conftest.py).

The production worker (``manage.py worker``) polls PostgreSQL on a connection of its own, so it
only sees committed jobs: tests of that path start the real process (tests/jobs). Most tests run
in one transaction that is rolled back at the end; there the jobs a request queued are run here,
by procrastinate's worker with the same options and middleware, on the test's own connection
(procrastinate's Django connector and ``jobs.queue.db`` both run their SQL on the calling
thread's connection under ``async_to_sync``; ``_TestConnector``). It stops once no job is due; periodic jobs are
not deferred.
"""

from __future__ import annotations

import json

from asgiref.sync import async_to_sync
from procrastinate.contrib.django import procrastinate_app
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.periodic import PeriodicRegistry

from jobs.worker import worker_options


class _TestConnector(DjangoConnector):
    """Django's connector (the test's connection) as a worker's: Django hands ``jsonb`` back as
    text (its JSONField decodes it), where procrastinate's worker expects the arguments decoded."""

    def _dictfetch(self, cursor):
        for row in super()._dictfetch(cursor):
            if isinstance(row.get("args"), str):
                row["args"] = json.loads(row["args"])
            yield row


def run_jobs() -> None:
    app = procrastinate_app.current_app
    options = {
        **worker_options(wait=False),
        "install_signal_handlers": False,
        # procrastinate's Django clean-up closes a connection outside autocommit: the test's.
        "task_middleware": [],
    }
    registry, app.periodic_registry = app.periodic_registry, PeriodicRegistry()
    try:
        with app.replace_connector(_TestConnector()):
            async_to_sync(app.run_worker_async)(**options)
    finally:
        app.periodic_registry = registry
