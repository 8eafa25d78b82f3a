"""Database connection plumbing shared by every app."""

from __future__ import annotations

from django.db import connection


def connection_release() -> None:
    """Give this request's database connection back before a slow upstream call.

    Under the Procfile's gevent workers the connection comes from a small per-process pool
    (huntaze/settings/base.py): a request that kept it while Azure OpenAI writes for 45 s, or
    Stripe answers in 10 s, would starve every other request of its worker. The next query of the
    request takes a connection from the pool again. With persistent connections (sync workers,
    tests, ``manage.py``) and inside a transaction this does nothing.
    """
    if connection.in_atomic_block or not connection.settings_dict["OPTIONS"].get("pool"):
        return
    connection.close()
